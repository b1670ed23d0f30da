using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Inference.Generation;
using Elastic.Inference.Tracing;
using Elastic.Worker.Experts;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.Logging;

namespace Elastic.Worker.Hosting;

/// <summary>Builds a silo's inference engines (decode and prefill) from the worker's settings, one way for both.</summary>
internal static class WorkerEngines
{
    public static InferenceEngine Create(ServedModel served, WorkerOptions options, IGrainFactory grains, ILoggerFactory loggers, TransferCounters transfers, SiloLocal<ShardExperts> localShards, SiloLocal<PublishedTable> localPlacements, IRoutingTraceSink? trace = null)
    {
        var engineOptions = new EngineOptions
        {
            KvCacheBytes = options.KvCacheBytes,
            MaxBatchedTokens = options.MaxBatchedTokens,
            MaxRunningSequences = options.MaxRunningSequences,
            MaxWaitingSequences = options.MaxWaitingSequences,
            MaxModelLength = options.MaxModelLength,
            EosTokenIds = served.EosTokenIds,
        };
        IExpertExecutor experts = options.ExpertExecution == ExpertExecution.Cluster
            ? new OrleansExpertExecutor(grains, served.Name, loggers.CreateLogger<OrleansExpertExecutor>(), transfers, localShards, localPlacements)
            : served.Model.Experts;
        return new InferenceEngine(served.Model.Transformer, experts, engineOptions, trace);
    }
}
