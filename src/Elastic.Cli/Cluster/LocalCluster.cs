using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Elastic.Worker.Cluster;

namespace Elastic.Cli.Cluster;

/// <summary>One process of a local cluster: its name, <c>elastic</c> arguments and the HTTP port it serves /readyz on.</summary>
internal sealed record ClusterProcessSpec(string Name, int HttpPort, IReadOnlyList<string> Arguments);

/// <summary>
/// A whole cluster on this machine, as <c>elastic up</c> runs it: a private redis-server for membership, then the
/// worker processes stage by stage (expert silos before the prefill/decode silos that place shards on them), then the
/// gateway, each waited for on its /readyz. Stops in the reverse order with SIGTERM, so workers drain.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(75);
    private readonly List<ChildProcess> _started = [];
    private readonly TimeSpan _readyTimeout;
    private volatile bool _stopping;
    private string? _redisDirectory;

    public LocalCluster(TimeSpan readyTimeout) => _readyTimeout = readyTimeout;

    /// <summary>The running processes in start order (redis first).</summary>
    public IReadOnlyList<ChildProcess> Processes => _started;

    /// <summary>
    /// Runs redis-server ("$@") and stops it when told (SIGTERM: <c>elastic up</c> stops it last) or when
    /// <c>elastic up</c> is gone without stopping it: our end of its stdin pipe closes even on SIGKILL, so <c>cat</c>
    /// sees end of file. Then it waits 60 s before stopping redis, because the workers (which watch up through
    /// ELASTIC_PARENT_PID) leave the cluster through redis and hang without it. fd 3 keeps the pipe (a background
    /// command's stdin is /dev/null in sh); helpers write nowhere, so up's readers of our output see its end.
    /// </summary>
    private const string RedisWatchdog = """
        exec 3<&0
        "$@" &
        server=$!
        trap 'kill "$reader" "$pause" 2>/dev/null; kill -TERM "$server" 2>/dev/null; wait "$server"; exit 0' TERM INT
        cat <&3 >/dev/null 2>&1 &
        reader=$!
        wait "$reader"
        sleep 60 >/dev/null 2>&1 &
        pause=$!
        wait "$pause"
        kill -TERM "$server" 2>/dev/null
        wait "$server"
        """;

    /// <summary>Starts redis-server on <paramref name="port"/> (loopback only, nothing persisted).</summary>
    public async Task StartRedisAsync(int port, CancellationToken cancellationToken)
    {
        var redis = FindOnPath("redis-server")
            ?? throw new ArgumentException("redis-server was not found on PATH; install it (Debian: apt-get install redis-server) or run the processes yourself with --cluster");
        _redisDirectory = Directory.CreateTempSubdirectory("elastic-redis-").FullName;
        var child = Track(ChildProcess.Start("redis", "/bin/sh",
            ["-c", RedisWatchdog, "redis-watchdog", redis, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _redisDirectory]));
        var clock = Stopwatch.StartNew();
        while (!await PingRedisAsync(port, cancellationToken).ConfigureAwait(false))
        {
            ThrowIfExited(child);
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"redis-server did not answer PING on port {port} within 20 s");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts <paramref name="stage"/>'s processes together and waits until every one reports ready.</summary>
    public async Task StartStageAsync(IReadOnlyList<ClusterProcessSpec> stage, CancellationToken cancellationToken)
    {
        var (file, prefix) = SelfCommand();
        var clock = Stopwatch.StartNew();
        var children = stage.Select(spec => (spec, child: Track(ChildProcess.Start(spec.Name, file, [.. prefix, .. spec.Arguments], new Uri($"http://127.0.0.1:{spec.HttpPort}"), watchParent: true)))).ToList();
        await Task.WhenAll(children.Select(c => WaitReadyAsync(c.child, c.spec.HttpPort, cancellationToken))).ConfigureAwait(false);
        System.Console.Error.WriteLine($"[up] {string.Join(", ", stage.Select(s => s.Name))} ready after {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Stops every process, last started first, each with SIGTERM and a grace period.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            var child = _started[i];
            if (child.HasExited)
            {
                continue;
            }

            var clock = Stopwatch.StartNew();
            var clean = await child.StopAsync(StopGrace).ConfigureAwait(false);
            System.Console.Error.WriteLine(clean
                ? $"[up] {child.Name} stopped in {clock.Elapsed.TotalSeconds:F1} s"
                : $"[up] {child.Name} did not stop within {StopGrace.TotalSeconds:F0} s of SIGTERM and was killed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        foreach (var child in _started)
        {
            child.Dispose();
        }

        if (_redisDirectory is not null && Directory.Exists(_redisDirectory))
        {
            Directory.Delete(_redisDirectory, recursive: true);
        }
    }

    /// <summary>How to start this same <c>elastic</c> program: its apphost, or <c>dotnet elastic.dll</c>.</summary>
    internal static (string File, string[] Prefix) SelfCommand()
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program is running");
        return string.Equals(Path.GetFileNameWithoutExtension(path), "dotnet", StringComparison.Ordinal)
            ? (path, [Assembly.GetEntryAssembly()!.Location])
            : (path, []);
    }

    private ChildProcess Track(ChildProcess child)
    {
        _started.Add(child);
        child.Exited += c =>
        {
            if (!_stopping)
            {
                System.Console.Error.WriteLine($"[up] warning: {c.Name} (pid {c.Id}) exited with code {c.ExitCode}; the rest keeps running");
            }
        };
        return child;
    }

    private async Task WaitReadyAsync(ChildProcess child, int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var url = new Uri($"http://127.0.0.1:{port}/readyz");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ThrowIfExited(child);
            try
            {
                using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }

            if (clock.Elapsed > _readyTimeout)
            {
                throw new TimeoutException($"{child.Name} was not ready at {url} within {_readyTimeout.TotalSeconds:F0} s");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void ThrowIfExited(ChildProcess child)
    {
        if (child.HasExited)
        {
            throw new InvalidOperationException($"{child.Name} exited with code {child.ExitCode} during start-up (its output is above)");
        }
    }

    private static async Task<bool> PingRedisAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
