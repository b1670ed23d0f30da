using Elastic.Abstractions.Grains;
using Elastic.Worker.Placement;

namespace Elastic.Worker.Tests.Grains;

/// <summary>A grain needing a role no silo of the test cluster has.</summary>
public interface IPrefillProbeGrain : IGrainWithStringKey
{
    Task PingAsync();
}

[RolePlacement(WorkerRole.Prefill)]
internal sealed class PrefillProbeGrain : Grain, IPrefillProbeGrain
{
    public Task PingAsync() => Task.CompletedTask;
}
