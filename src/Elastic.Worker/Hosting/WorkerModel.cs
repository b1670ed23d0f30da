using Elastic.Inference.Generation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>The checkpoint this silo serves, loaded once on first use and shared by its decode grain and endpoint.</summary>
public sealed class WorkerModel : IDisposable
{
    private readonly Lazy<ServedModel> _served;

    public WorkerModel(IOptions<WorkerOptions> options, ILogger<WorkerModel> logger)
    {
        var directory = options.Value.ModelDirectory;
        _served = new Lazy<ServedModel>(
            () => ServedModel.Load(directory ?? throw new InvalidOperationException($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.ModelDirectory)} is not set on this worker"), logger),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The loaded model; the first access reads the checkpoint (seconds to minutes), so never touch it on a grain turn first.</summary>
    public ServedModel Served => _served.Value;

    public bool IsLoaded => _served.IsValueCreated;

    public void Dispose()
    {
        if (_served.IsValueCreated)
        {
            _served.Value.Dispose();
        }
    }
}
