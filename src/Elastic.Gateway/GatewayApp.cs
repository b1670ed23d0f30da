using Elastic.Abstractions.OpenAi;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Destinations;
using Elastic.Gateway.Errors;
using Elastic.Gateway.Health;
using Elastic.Gateway.LoadBalancing;
using Elastic.Gateway.Observability;
using Elastic.Gateway.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Prometheus;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Elastic.Gateway;

/// <summary>Builds the gateway web application: OpenAI-compatible front door, load-aware YARP forwarding to workers.</summary>
public static class GatewayApp
{
    /// <summary>
    /// A gateway ready to <c>RunAsync</c>/<c>StartAsync</c>. Options are validated here, so bad settings fail before
    /// anything listens. <paramref name="directory"/> defaults to the static <see cref="GatewayOptions.Workers"/> list;
    /// <paramref name="metricsRegistry"/> defaults to a fresh registry served at <c>/metrics</c>.
    /// </summary>
    public static WebApplication Build(GatewayOptions options, IWorkerDirectory? directory = null, CollectorRegistry? metricsRegistry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        GatewayOptionsValidator.ThrowIfInvalid(options);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(GatewayApp).Assembly.GetName().Name });
        builder.WebHost.UseUrls(options.ListenUrl);
        // The gateway's own limit is enforced while reading; Kestrel's sits a little above so a rejected body can be drained.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes + RequestValidationStep.KestrelDrainAllowance);

        // Per-request Information logs from ASP.NET Core and YARP would dominate the output of a busy gateway.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(directory ?? InMemoryWorkerDirectory.FromUrls(options.Workers));
        services.AddSingleton(metricsRegistry ?? Metrics.NewCustomRegistry());
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<WorkerLoadBoard>();
        services.AddHostedService<WorkerLoadPoller>();
        services.AddSingleton<IRequestValidator, OpenAiRequestValidator>();
        services.AddSingleton<RequestValidationStep>();

        services.AddReverseProxy();
        services.AddSingleton<IProxyConfigProvider, WorkerProxyConfigProvider>();
        services.AddSingleton<ILoadBalancingPolicy, LeastLoadPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, TransportFailurePolicy>();

        var rateLimited = options.RequestsPerMinutePerKey > 0;
        if (rateLimited)
        {
            services.AddRateLimiter(limiter => ApiKeyRateLimiting.Configure(limiter, options));
        }

        var app = builder.Build();
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<GatewayErrorMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        if (rateLimited)
        {
            app.UseRateLimiter();
        }

        HealthEndpoints.Map(app);
        app.MapMetrics(GatewayRoutes.MetricsPath, app.Services.GetRequiredService<CollectorRegistry>());
        var validation = app.Services.GetRequiredService<RequestValidationStep>();
        var board = app.Services.GetRequiredService<WorkerLoadBoard>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use((context, next) => validation.InvokeAsync(context, next));
            proxy.Use((context, next) => LiveWorkerFilter.InvokeAsync(context, next, board));
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });

        // "{*path}" rather than MapFallback's default, which skips paths that look like file names.
        app.MapFallback("{*path}", context => OpenAiError.RouteNotFound(context.Request.Method, context.Request.Path).WriteAsync(context));
        return app;
    }
}
