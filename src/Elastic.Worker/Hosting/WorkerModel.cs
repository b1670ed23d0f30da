using Elastic.Inference.Generation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>
/// The checkpoint this silo serves, loaded once on first use and shared by its prefill and decode grains and endpoint;
/// without routed experts when they run on expert-shard grains.
/// </summary>
public sealed class WorkerModel : IDisposable
{
    private readonly Lazy<ServedModel> _served;

    public WorkerModel(IOptions<WorkerOptions> options, ILogger<WorkerModel> logger)
    {
        var directory = options.Value.ModelDirectory;

        // With cluster expert execution the routed experts live on expert-shard grains (loaded there from the
        // checkpoint), so this copy leaves them out and an all-in-one process holds each expert once.
        var routedExperts = options.Value.ExpertExecution == ExpertExecution.Local;
        _served = new Lazy<ServedModel>(
            () => ServedModel.Load(directory ?? throw new InvalidOperationException($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.ModelDirectory)} is not set on this worker"), logger, routedExperts),
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
