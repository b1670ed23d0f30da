using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Inference.Tracing;
using Elastic.Training.Corpus;

namespace Elastic.Training.Evaluation;

/// <summary>
/// Routes held-out text of every domain through the engine with a routing trace and aggregates it:
/// per-layer expert load, per-domain expert usage, inter-layer co-activation. These are the placement planner's inputs.
/// </summary>
public static class RoutingAnalysis
{
    public static RoutingStatistics Run(ServedModel model, int samplesPerDomain, int generateTokens = 8, Action<double>? progress = null)
    {
        var config = model.Config;
        var sparseLayers = Enumerable.Range(0, config.NumLayers).Count(config.IsSparseLayer);
        var collector = new RoutingStatisticsCollector(config.NumExperts, sparseLayers);
        var generator = new CorpusGenerator(ModelEvaluator.HeldOutSeed + 1, CorpusSplit.HeldOut);
        var domains = Enum.GetValues<CorpusDomain>();
        using var engine = model.CreateEngine(new EngineOptions { KvCacheBytes = 256L << 20, MaxWaitingSequences = samplesPerDomain * domains.Length }, collector);
        foreach (var domain in domains)
        {
            for (var i = 0; i < samplesPerDomain; i++)
            {
                var prompt = model.Tokenizer.Encode(generator.Next(domain).Text, addSpecialTokens: true);
                var id = engine.Submit(new GenerationRequest(prompt, new SamplingParams { Temperature = 0, MaxTokens = generateTokens, IgnoreEos = true }));
                collector.Label(id, domain.ToString().ToLowerInvariant());
            }
        }

        var total = samplesPerDomain * domains.Length;
        var finished = 0;
        while (engine.HasWork)
        {
            finished += engine.Step().Count(o => o.IsFinished);
            progress?.Invoke((double)finished / total);
        }

        return collector.Snapshot();
    }
}
