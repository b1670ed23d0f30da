using System.Globalization;

namespace Elastic.Abstractions.Cluster;

/// <summary>How a process finds its Orleans cluster.</summary>
public enum ClusterKind
{
    /// <summary>Localhost clustering: one process is the whole cluster (the <c>elastic serve</c> default).</summary>
    Localhost,

    /// <summary>Membership in Redis: workers and gateways in several processes or pods.</summary>
    Redis,
}

/// <summary>
/// A cluster address as the command line and configuration write it: <c>redis://HOST:PORT</c> (optionally
/// <c>/DB</c>) or <c>localhost</c>. Parsing names what is wrong, so a typo fails at start-up.
/// </summary>
public sealed record ClusterConnection(ClusterKind Kind, string Host, int Port, int Database)
{
    /// <summary>The Orleans cluster and service id every Elastic process uses.</summary>
    public const string ClusterId = "elastic";

    /// <summary>The default Redis port.</summary>
    public const int DefaultRedisPort = 6379;

    /// <summary>The single-process cluster.</summary>
    public static ClusterConnection Localhost { get; } = new(ClusterKind.Localhost, "localhost", 0, 0);

    /// <summary>The StackExchange.Redis configuration string for a Redis cluster (<c>host:port,defaultDatabase=n</c>).</summary>
    public string RedisConfiguration => Kind == ClusterKind.Redis
        ? string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port},defaultDatabase={Database},abortConnect=false")
        : throw new InvalidOperationException("not a Redis cluster address");

    /// <summary>Parses <paramref name="value"/>; throws <see cref="FormatException"/> naming the problem.</summary>
    public static ClusterConnection Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FormatException("the cluster address is empty; use redis://HOST:PORT or localhost");
        }

        var text = value.Trim();
        if (string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return Localhost;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !string.Equals(uri.Scheme, "redis", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"cluster address '{value}' is not understood; use redis://HOST:PORT (e.g. redis://127.0.0.1:6379) or localhost");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"cluster address '{value}' has no host");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new FormatException($"cluster address '{value}' may only hold a host, a port and a database number");
        }

        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 15))
        {
            throw new FormatException($"cluster address '{value}' names database '{path}'; a Redis database is a number from 0 to 15");
        }

        var port = uri.IsDefaultPort || uri.Port < 0 ? DefaultRedisPort : uri.Port;
        return new ClusterConnection(ClusterKind.Redis, uri.Host, port, database);
    }

    public override string ToString() => Kind == ClusterKind.Localhost
        ? "localhost"
        : string.Create(CultureInfo.InvariantCulture, $"redis://{Host}:{Port}{(Database == 0 ? string.Empty : "/" + Database)}");
}
