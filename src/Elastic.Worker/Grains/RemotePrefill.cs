using Elastic.Abstractions.Grains;
using Elastic.Inference.Engine;
using Elastic.Inference.Sampling;
using Elastic.Worker.Hosting;
using Elastic.Worker.Placement;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Elastic.Worker.Grains;

/// <summary>
/// The decode side of prefill/decode disaggregation: decides per request whether the prompt is prefilled on a
/// <see cref="IPrefillGrain"/> (see <see cref="WorkerOptions.Prefill"/>) and calls it, counting the KV cache handed over.
/// Called off the grain scheduler (from the generation pump); thread-safe.
/// </summary>
internal sealed class RemotePrefill(
    IGrainFactory grains,
    IClusterMembershipService membership,
    ISiloMetadataCache metadata,
    ILocalSiloDetails silo,
    IOptions<WorkerOptions> options)
{
    private long _handOffs;
    private long _kvBytes;
    private long _kvTokens;

    /// <summary>Prefills handed over so far.</summary>
    public long HandOffs => Interlocked.Read(ref _handOffs);

    /// <summary>KV payload bytes received (without blob headers).</summary>
    public long KvBytes => Interlocked.Read(ref _kvBytes);

    /// <summary>Prompt tokens whose KV cache was received.</summary>
    public long KvTokens => Interlocked.Read(ref _kvTokens);

    /// <summary>
    /// Whether the next request should be prefilled remotely: always with <see cref="PrefillMode.Remote"/>, never with
    /// <see cref="PrefillMode.Local"/>; with <see cref="PrefillMode.Auto"/> when this silo lacks the Prefill role and an
    /// active silo has it.
    /// </summary>
    public bool ShouldUse()
    {
        var o = options.Value;
        switch (o.Prefill)
        {
            case PrefillMode.Local:
                return false;
            case PrefillMode.Remote:
                return true;
        }

        if ((o.Role & WorkerRole.Prefill) != 0)
        {
            return false;
        }

        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !member.SiloAddress.Equals(silo.SiloAddress)
                && SiloRoles.Parse(metadata.GetSiloMetadata(member.SiloAddress).Metadata.GetValueOrDefault(SiloRoles.MetadataKey)).HasFlag(WorkerRole.Prefill))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Prefills the prompt on the model's prefill grain and returns what the decode engine imports.</summary>
    public async Task<PrefillHandOff> RunAsync(string model, IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken)
    {
        var request = new PrefillRequest([.. prompt], PrefillContracts.ToContract(sampling));
        var result = await grains.GetGrain<IPrefillGrain>(model).PrefillAsync(request.AsImmutable()).WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _handOffs);
        Interlocked.Add(ref _kvBytes, result.KvBytes);
        Interlocked.Add(ref _kvTokens, result.PromptTokens);
        return PrefillContracts.ToHandOff(result);
    }
}
