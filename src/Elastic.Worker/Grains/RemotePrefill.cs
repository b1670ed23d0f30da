using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Worker.Cluster;
using Elastic.Worker.Hosting;
using Elastic.Worker.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime.Placement;

namespace Elastic.Worker.Grains;

/// <summary>
/// The decode side of prefill/decode disaggregation: decides per request whether the prompt is prefilled on a
/// <see cref="IPrefillGrain"/> (see <see cref="WorkerOptions.Prefill"/>), spreads requests over the active prefill silos
/// (one grain activation per silo, placed there by hint) and counts the KV cache handed over.
/// Called off the grain scheduler (from the stream the endpoint reads); thread-safe.
/// </summary>
internal sealed partial class RemotePrefill(
    IGrainFactory grains,
    ClusterMembers members,
    ILocalSiloDetails silo,
    TransferCounters transfers,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<RemotePrefill> logger)
{
    private const char KeySeparator = '@';

    /// <summary>How long a prefill silo whose call failed is left out, unless membership says otherwise sooner.</summary>
    private static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<SiloAddress, DateTimeOffset> _suspects = new();
    private long _handOffs;
    private long _next;

    /// <summary>Prefills handed over so far.</summary>
    public long HandOffs => Interlocked.Read(ref _handOffs);

    /// <summary>KV payload bytes received (without blob headers).</summary>
    public long KvBytes => transfers.KvBytes;

    /// <summary>Prompt tokens whose KV cache was received.</summary>
    public long KvTokens => transfers.KvTokens;

    /// <summary>The model a prefill grain key names (<c>model</c> or <c>model@qualifier</c>).</summary>
    public static string ModelOfKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.LastIndexOf(KeySeparator);
        return at < 0 ? key : key[..at];
    }

    /// <summary>
    /// Whether the next request should be prefilled remotely: always with <see cref="PrefillMode.Remote"/>, never with
    /// <see cref="PrefillMode.Local"/>; with <see cref="PrefillMode.Auto"/> when this silo lacks the Prefill role and an
    /// active silo has it.
    /// </summary>
    public bool ShouldUse()
    {
        var o = options.Value;
        return o.Prefill switch
        {
            PrefillMode.Local => false,
            PrefillMode.Remote => true,
            _ => (o.Role & WorkerRole.Prefill) == 0 && OtherPrefillSilos().Count > 0,
        };
    }

    /// <summary>
    /// The request's updates: its prompt prefilled on a prefill silo (<see cref="RunAsync"/>; locally when none answers),
    /// then decoded by <paramref name="generator"/> from the KV cache and first token handed over.
    /// </summary>
    public async IAsyncEnumerable<GenerationUpdate> ThenDecodeAsync(TextGenerator generator, IReadOnlyList<int> prompt, SamplingParams sampling, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Refuse what the decode engine could never run before spending a prefill on it.
        generator.Loop.Engine.Validate(new GenerationRequest(prompt, sampling));
        var handOff = await RunAsync(generator.Model.Name, prompt, sampling, cancellationToken).ConfigureAwait(false);
        await foreach (var update in generator.GenerateAsync(prompt, sampling, handOff, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>
    /// Prefills the prompt on a prefill silo's grain (round robin over the active ones) and returns what the decode
    /// engine imports; null when that silo could not be reached, so the caller prefills locally instead (the silo is
    /// then left out for a while). Errors about the request itself propagate.
    /// </summary>
    public async Task<PrefillHandOff?> RunAsync(string model, IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken)
    {
        var request = new PrefillRequest([.. prompt], PrefillContracts.ToContract(sampling));
        var (grain, target) = PickGrain(model);
        PrefillResult result;
        try
        {
            result = await grain.PrefillAsync(request.AsImmutable()).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (GrainCallFailures.IsUnreachable(ex) && !cancellationToken.IsCancellationRequested)
        {
            if (target is not null)
            {
                _suspects[target] = time.GetUtcNow() + SuspectFor;
            }

            LogFallback(logger, target?.ToString() ?? "(by role)", ex.GetType().Name, ex.Message);
            return null;
        }

        Interlocked.Increment(ref _handOffs);
        transfers.AddKvTransfer(result.KvBytes, result.PromptTokens);
        return PrefillContracts.ToHandOff(result);
    }

    private (IPrefillGrain Grain, SiloAddress? Target) PickGrain(string model)
    {
        var silos = OtherPrefillSilos();
        if (silos.Count == 0)
        {
            // Only this silo (or none yet): one activation keyed by the model, placed by role.
            return (grains.GetGrain<IPrefillGrain>(model), null);
        }

        var target = silos[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)silos.Count)];
        // The hint is read when the grain activates; an activation that outlived its silo is re-placed by role.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
        return (grains.GetGrain<IPrefillGrain>($"{model}{KeySeparator}{target}"), target);
    }

    private List<SiloAddress> OtherPrefillSilos()
    {
        var now = time.GetUtcNow();
        foreach (var suspect in _suspects)
        {
            if (suspect.Value <= now)
            {
                // Expired: forget it, so silos that come and go over a long run do not pile up here.
                _suspects.TryRemove(suspect);
            }
        }

        return [.. members.SilosWithRole(WorkerRole.Prefill).Where(s => !s.Equals(silo.SiloAddress) && !(_suspects.TryGetValue(s, out var until) && until > now))];
    }

    [LoggerMessage(EventId = 2262, Level = LogLevel.Warning, Message = "Prefill on silo {Silo} failed ({Error}: {Message}); prefilling locally and leaving that silo out for 30 s")]
    private static partial void LogFallback(ILogger logger, string silo, string error, string message);
}
