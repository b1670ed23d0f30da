using Microsoft.Extensions.Primitives;

namespace Elastic.Gateway.Destinations;

/// <summary>
/// The set of workers the gateway routes to. Membership only: it changes rarely (pods come and go), so each change
/// rebuilds the proxy's routes. Live load changes several times a second and is tracked apart from it
/// (see <c>WorkerLoadBoard</c>), so load never triggers a configuration rebuild.
/// </summary>
public interface IWorkerDirectory
{
    /// <summary>The current workers; an immutable snapshot.</summary>
    IReadOnlyList<WorkerEndpoint> Workers { get; }

    /// <summary>A token that fires once <see cref="Workers"/> has been replaced by a newer snapshot.</summary>
    IChangeToken GetChangeToken();
}
