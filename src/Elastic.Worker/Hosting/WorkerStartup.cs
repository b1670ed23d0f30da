using Elastic.Abstractions.Grains;
using Elastic.Inference.Modeling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>Applies process-wide libtorch settings and loads a prefill or decode worker's model before it takes traffic.</summary>
internal sealed partial class WorkerStartup(IOptions<WorkerOptions> options, WorkerModel model, ILogger<WorkerStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        TorchRuntime.Configure(o.Threads);
        LogStarting(logger, o.Role, o.Threads, o.ExpertExecution);
        if (ComputeThreadPriority.Configure(o.EngineNice) is { } problem)
        {
            LogNiceRefused(logger, o.EngineNice, problem);
        }
        else if (o.EngineNice != 0)
        {
            LogNice(logger, o.EngineNice);
        }

        if ((o.Role & (WorkerRole.Prefill | WorkerRole.Decode)) != 0)
        {
            // A bad checkpoint should stop the worker now, not fail its first request.
            await Task.Run(() => model.Served, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 2231, Level = LogLevel.Information, Message = "Engine threads (engine loops, compute pool) run at nice {Nice}")]
    private static partial void LogNice(ILogger logger, int nice);

    [LoggerMessage(EventId = 2232, Level = LogLevel.Warning, Message = "Engine threads keep nice 0 instead of {Nice} ({Problem}): HTTP threads will preempt decode steps; grant CAP_SYS_NICE, or set the engine nice to 0 to silence this")]
    private static partial void LogNiceRefused(ILogger logger, int nice, string problem);

    [LoggerMessage(EventId = 2230, Level = LogLevel.Information, Message = "Worker starting: roles {Role}, {Threads} torch threads, experts {ExpertExecution}")]
    private static partial void LogStarting(ILogger logger, WorkerRole role, int threads, ExpertExecution expertExecution);
}
