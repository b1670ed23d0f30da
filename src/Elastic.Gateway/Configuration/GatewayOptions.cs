namespace Elastic.Gateway.Configuration;

/// <summary>Settings of the gateway process; bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Gateway";

    /// <summary>Where the gateway listens. Default <c>http://0.0.0.0:8080</c>; port 0 picks a free port (tests).</summary>
    public string ListenUrl { get; set; } = "http://0.0.0.0:8080";

    /// <summary>
    /// Accepted bearer API keys. Empty (the default) turns authentication off, which suits a gateway
    /// reachable only inside the cluster; set keys whenever it is exposed.
    /// </summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>
    /// Requests per minute allowed per API key (per client address when no keys are set), as a token bucket
    /// that holds one minute's worth, so short bursts pass and the long-run rate is capped. 0 (default) = no limit.
    /// </summary>
    public int RequestsPerMinutePerKey { get; set; }

    /// <summary>Largest accepted request body. Default 8 MiB: a 128k-token prompt sent as token ids is under 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// How long a forwarded request may go without a byte read or written before it is cut off (YARP's
    /// <c>ActivityTimeout</c>). YARP's default of 100 s is too short for an LLM: a request queued behind a full batch
    /// or a long prefill sends nothing until its first token, and the timer is reset only by reads and writes
    /// (not by HTTP/2 pings). Default 10 minutes; client disconnects still cancel at once.
    /// </summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Worker base URLs (<c>http://host:port</c>) used until the Orleans-fed directory replaces them.</summary>
    public IList<string> Workers { get; } = [];

    /// <summary>How often every worker's <c>GET /load</c> is polled. Default 250 ms.</summary>
    public TimeSpan LoadPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Timeout of one <c>/load</c> poll. Default 1 s: a worker busy with a step still answers well within it.</summary>
    public TimeSpan LoadPollTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed polls after which a worker is treated as dead. Default 2 (one lost poll is forgiven).</summary>
    public int DeadAfterFailedPolls { get; set; } = 2;

    /// <summary>
    /// How long a worker stays excluded after a forwarding failure (connection refused, reset mid-stream) before it
    /// is tried again. Default 10 s; the load poll brings it back sooner only by reporting load, not by this timer.
    /// </summary>
    public TimeSpan FailedWorkerCooldown { get; set; } = TimeSpan.FromSeconds(10);
}
