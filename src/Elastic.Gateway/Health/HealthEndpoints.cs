using Elastic.Gateway.Destinations;
using Elastic.Gateway.LoadBalancing;

namespace Elastic.Gateway.Health;

/// <summary>
/// <c>/healthz</c>: the process serves HTTP (liveness; never depends on workers, so a worker outage does not get
/// the gateway restarted). <c>/readyz</c>: at least one worker is known and answering load polls (readiness).
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(GatewayRoutes.HealthPath, () => Results.Json(new { status = "ok" }));
        endpoints.MapGet(GatewayRoutes.ReadyPath, (IWorkerDirectory directory, WorkerLoadBoard board) =>
        {
            var workers = directory.Workers;
            var live = board.CountLive(workers.Select(w => w.Id));
            var body = new { status = live > 0 ? "ready" : "not_ready", workers = workers.Count, liveWorkers = live };
            return Results.Json(body, statusCode: live > 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
    }
}
