using Elastic.Abstractions.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Elastic.Gateway.Destinations;

/// <summary>
/// The gateway's connection to a multi-process cluster: an Orleans client host using the same membership as the
/// workers. It keeps trying to connect until a silo answers, so a gateway may start before its workers.
/// </summary>
public static class ClusterClient
{
    /// <summary>Builds (does not start) a host whose <see cref="IClusterClient"/> joins <paramref name="cluster"/>.</summary>
    public static IHost Build(ClusterConnection cluster, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Kind != ClusterKind.Redis)
        {
            throw new ArgumentException($"a separate gateway needs a shared cluster such as redis://HOST:PORT, got '{cluster}'", nameof(cluster));
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterConnection.ClusterId;
                o.ServiceId = ClusterConnection.ClusterId;
            });
            client.UseRedisClustering(cluster.RedisConfiguration);
            client.UseConnectionRetryFilter(RetryForeverAsync);
        });
        return builder.Build();
    }

    private static async Task<bool> RetryForeverAsync(Exception error, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
