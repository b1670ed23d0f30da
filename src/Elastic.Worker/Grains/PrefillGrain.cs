using System.Diagnostics;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Experts;
using Elastic.Worker.Experts;
using Elastic.Worker.Hosting;
using Elastic.Worker.Metrics;
using Elastic.Worker.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Elastic.Worker.Grains;

/// <summary>
/// Prefills prompts for one model on a Prefill silo and returns the KV cache and first token for a decode engine
/// elsewhere. Runs its own continuous-batching engine on its own compute thread (an <see cref="EngineLoop"/> whose
/// requests all have max_tokens 1 and export their cache), so concurrent calls share forward steps and no grain turn
/// computes. Experts run as the silo's <see cref="WorkerOptions.ExpertExecution"/> says. Key: the model name, optionally
/// followed by <c>@</c> and the prefill silo it was placed for (see <see cref="RemotePrefill"/>).
/// </summary>
[RolePlacement(WorkerRole.Prefill)]
[Reentrant]
internal sealed partial class PrefillGrain(
    WorkerModel model,
    IGrainFactory grains,
    IOptions<WorkerOptions> options,
    ExpertShardBootstrap experts,
    TransferCounters transfers,
    SiloLocal<ShardExperts> localShards,
    SiloLocal<PublishedTable> localPlacements,
    ILoggerFactory loggers) : Grain, IPrefillGrain, IAsyncDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger<PrefillGrain>();
    private EngineLoop? _loop;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var served = await Task.Run(() => model.Served, cancellationToken).ConfigureAwait(true);
        if (!string.Equals(RemotePrefill.ModelOfKey(this.GetPrimaryKeyString()), served.Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"prefill grain '{this.GetPrimaryKeyString()}' activated on a silo serving '{served.Name}'");
        }

        var o = options.Value;
        if (o.ExpertExecution == ExpertExecution.Cluster)
        {
            await experts.WhenReady.WaitAsync(cancellationToken).ConfigureAwait(true);
        }

        _loop = new EngineLoop(WorkerEngines.Create(served, o, grains, loggers, transfers, localShards, localPlacements), loggers.CreateLogger<EngineLoop>(), o.LogStepPhases);
        LogActivated(_logger, served.Name, o.ExpertExecution);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => _loop?.DisposeAsync() ?? ValueTask.CompletedTask;

    public async Task<PrefillResult> PrefillAsync(Immutable<PrefillRequest> request)
    {
        var r = request.Value ?? throw new ArgumentException("prefill request is null", nameof(request));
        var clock = Stopwatch.StartNew();
        var sampling = PrefillContracts.ToSampling(r.Sampling);
        var reader = _loop!.Submit(new GenerationRequest(r.PromptTokens, sampling) { ExportKvCache = true });
        SequenceOutput? last = null;
        await foreach (var output in reader.ReadAllAsync().ConfigureAwait(true))
        {
            last = output;
        }

        if (last?.Token is not { } token || last.KvCache is not { } kv)
        {
            throw new InvalidOperationException("the prefill engine ended the request without a first token and KV cache");
        }

        var kvBytes = kv.LongLength - Elastic.Inference.Caching.KvCacheBlob.HeaderBytes;
        LogPrefilled(_logger, r.PromptTokens.Length, kvBytes, clock.Elapsed.TotalMilliseconds);
        return new PrefillResult(
            token.TokenId,
            token.Logprob,
            [.. token.TopLogprobs.Select(t => t.TokenId)],
            [.. token.TopLogprobs.Select(t => t.Logprob)],
            r.PromptTokens.Length,
            kv,
            kvBytes,
            clock.Elapsed.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 2260, Level = LogLevel.Information, Message = "Prefill engine for {Model} active: experts {ExpertExecution}")]
    private static partial void LogActivated(ILogger logger, string model, ExpertExecution expertExecution);

    [LoggerMessage(EventId = 2261, Level = LogLevel.Debug, Message = "Prefilled {Tokens} prompt tokens: {KvBytes} bytes of KV cache in {Milliseconds:F1} ms")]
    private static partial void LogPrefilled(ILogger logger, int tokens, long kvBytes, double milliseconds);
}
