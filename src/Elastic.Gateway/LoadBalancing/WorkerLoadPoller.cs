using System.Net.Http.Json;
using Elastic.Gateway.Configuration;
using Elastic.Gateway.Destinations;
using Elastic.Gateway.Observability;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.LoadBalancing;

/// <summary>
/// Polls every worker's <c>GET /load</c> each <see cref="GatewayOptions.LoadPollInterval"/> and records the result
/// on the <see cref="WorkerLoadBoard"/>. A worker that stops answering is marked dead, so the balancer skips it
/// before any client request has to fail on it.
/// </summary>
internal sealed partial class WorkerLoadPoller(
    IWorkerDirectory directory,
    WorkerLoadBoard board,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    TimeProvider timeProvider,
    ILogger<WorkerLoadPoller> logger) : BackgroundService
{
    private readonly GatewayOptions _options = options.Value;

    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        ConnectTimeout = options.Value.LoadPollTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseProxy = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        board.LivenessChanged += OnLivenessChanged;
        try
        {
            using var timer = new PeriodicTimer(_options.LoadPollInterval, timeProvider);
            do
            {
                await PollOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            board.LivenessChanged -= OnLivenessChanged;
        }
    }

    internal async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        var workers = directory.Workers;
        board.Retain(workers.Select(w => w.Id).ToHashSet(StringComparer.OrdinalIgnoreCase));
        await Task.WhenAll(workers.Select(w => PollAsync(w, cancellationToken))).ConfigureAwait(false);
        metrics.SetWorkers(workers.Count, board.CountLive(workers.Select(w => w.Id)));
    }

    private async Task PollAsync(WorkerEndpoint worker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.LoadPollTimeout);
        try
        {
            var load = await _client.GetFromJsonAsync<WorkerLoad>(new Uri(worker.Address, "load"), timeout.Token).ConfigureAwait(false)
                ?? throw new InvalidDataException("The worker answered /load with JSON null.");
            board.ReportSuccess(worker.Id, load);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException or InvalidDataException or NotSupportedException)
        {
            LoadPollFailed(logger, worker.Id, ex.Message);
            board.ReportFailure(worker.Id);
        }
    }

    private void OnLivenessChanged(string workerId, bool live)
    {
        if (live)
        {
            WorkerLive(logger, workerId);
        }
        else
        {
            WorkerDead(logger, workerId, _options.DeadAfterFailedPolls);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Load poll of worker {WorkerId} failed: {Reason}")]
    private static partial void LoadPollFailed(ILogger logger, string workerId, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Worker {WorkerId} is live")]
    private static partial void WorkerLive(ILogger logger, string workerId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Worker {WorkerId} left routing: it is draining or missed {Polls} load polls in a row; skipped until it reports ready load again")]
    private static partial void WorkerDead(ILogger logger, string workerId, int polls);
}
