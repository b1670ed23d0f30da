namespace Elastic.Gateway.Observability;

/// <summary>Outermost middleware: counts and times every response, errors included.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, GatewayMetrics metrics, TimeProvider timeProvider)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var route = GatewayRoutes.LabelFor(context.Request.Path);
        var started = timeProvider.GetTimestamp();
        using (metrics.TrackInFlight(route))
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                metrics.RequestCompleted(route, context.Response.StatusCode, timeProvider.GetElapsedTime(started));
            }
        }
    }
}
