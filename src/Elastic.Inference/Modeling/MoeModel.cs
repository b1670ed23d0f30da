using System.Diagnostics;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Experts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Elastic.Inference.Modeling;

/// <summary>A whole model in one process: the transformer plus all of its routed experts held locally.</summary>
public sealed partial class MoeModel : IDisposable
{
    private MoeModel(string directory, MoeTransformer transformer, LocalExpertExecutor experts)
    {
        Directory = directory;
        Transformer = transformer;
        Experts = experts;
    }

    public string Directory { get; }

    public ModelConfig Config => Transformer.Config;

    public MoeTransformer Transformer { get; }

    public LocalExpertExecutor Experts { get; }

    /// <summary>Loads a Hugging Face checkpoint folder; logs progress with a load rate. Nothing is left half-loaded on error.</summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="logger">Progress logs.</param>
    /// <param name="routedExperts">
    /// False loads everything but the routed experts (their <see cref="Experts"/> executor is empty): for a process whose
    /// experts run on expert-shard grains, so the routed weights are not held twice.
    /// </param>
    public static MoeModel Load(string directory, ILogger? logger = null, bool routedExperts = true)
    {
        logger ??= NullLogger.Instance;
        TorchRuntime.EnsureConfigured();
        using var reader = CheckpointReader.Open(directory);
        var c = reader.Config;
        LogLoading(logger, directory, c.ModelType, c.NumLayers, c.NumExperts, reader.StoredBytes / 1e6);
        return Create(reader, directory, logger, routedExperts);
    }

    /// <summary>Builds a model from any weight source (a checkpoint, or random weights for benchmarks).</summary>
    /// <param name="reader">The weights.</param>
    /// <param name="name">The model's name or folder.</param>
    /// <param name="logger">Progress logs.</param>
    /// <param name="routedExperts">False skips the routed experts (see <see cref="Load"/>).</param>
    public static MoeModel Create(IWeightSource reader, string name, ILogger? logger = null, bool routedExperts = true)
    {
        logger ??= NullLogger.Instance;
        TorchRuntime.EnsureConfigured();
        var clock = Stopwatch.StartNew();
        var c = reader.Config;
        var directory = name;
        var transformer = MoeTransformer.Load(reader, logger);
        var experts = new List<ExpertWeights>();
        try
        {
            List<int> sparse = routedExperts ? [.. Enumerable.Range(0, c.NumLayers).Where(c.IsSparseLayer)] : [];
            var lastReport = clock.Elapsed;
            foreach (var layer in sparse)
            {
                for (var e = 0; e < c.NumExperts; e++)
                {
                    experts.Add(ExpertWeights.Load(reader, new ExpertKey(layer, e)));
                }

                if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(2) || layer == sparse[^1])
                {
                    lastReport = clock.Elapsed;
                    var mb = (transformer.Bytes + experts.Sum(x => x.Bytes)) / 1e6;
                    var rate = mb / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                    LogExpertProgress(logger, experts.Count, sparse.Count * c.NumExperts, mb, rate);
                }
            }

            var model = new MoeModel(directory, transformer, new LocalExpertExecutor(experts));
            var totalMb = (transformer.Bytes + model.Experts.Bytes) / 1e6;
            LogLoaded(logger, directory, totalMb, clock.Elapsed.TotalSeconds);
            return model;
        }
        catch
        {
            foreach (var e in experts)
            {
                e.Dispose();
            }

            transformer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Transformer.Dispose();
        Experts.Dispose();
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Loading {Directory}: {ModelType}, {Layers} layers, {Experts} experts, {StoredMb:F1} MB stored")]
    private static partial void LogLoading(ILogger logger, string directory, string modelType, int layers, int experts, double storedMb);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Loaded experts {Done}/{Total}: {Mb:F0} MB at {MbPerSecond:F0} MB/s")]
    private static partial void LogExpertProgress(ILogger logger, int done, int total, double mb, double mbPerSecond);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "Loaded {Directory}: {Mb:F1} MB of fp32 weights in {Seconds:F1} s")]
    private static partial void LogLoaded(ILogger logger, string directory, double mb, double seconds);
}
