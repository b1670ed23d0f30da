using Elastic.Abstractions.Grains;

namespace Elastic.Worker.Hosting;

/// <summary>Where a decode engine runs its routed experts.</summary>
public enum ExpertExecution
{
    /// <summary>In this process, from the silo's own copy of the model (the all-in-one default).</summary>
    Local,

    /// <summary>On expert-shard grains, one call per shard per layer, following the model's placement table.</summary>
    Cluster,
}

/// <summary>Where a decode silo runs the prompt's prefill.</summary>
public enum PrefillMode
{
    /// <summary>On a prefill grain when this silo lacks the Prefill role and an active silo has it; otherwise in the decode engine.</summary>
    Auto,

    /// <summary>Always in the decode engine (chunked prefill mixed into decode steps).</summary>
    Local,

    /// <summary>Always on a prefill grain, whose KV cache and first token are handed to the decode engine.</summary>
    Remote,
}

/// <summary>Settings of one worker silo (configuration section <c>Worker</c>). Validated at start-up.</summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Worker";

    /// <summary>What this silo does (default <see cref="WorkerRole.All"/>: one process serves everything).</summary>
    public WorkerRole Role { get; set; } = WorkerRole.All;

    /// <summary>Hugging Face checkpoint folder served by this silo; required for the Prefill and Decode roles.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>libtorch intra-op threads of this process (default: the processor count). Several workers on one machine should split the cores.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Linux nice value of the engine's threads, −20 to 19 (default 0: unchanged). Below 0 they win the cores from
    /// this process's HTTP threads while a step runs; that needs CAP_SYS_NICE, and without it the worker logs a
    /// warning and keeps 0. <c>elastic serve</c> and <c>elastic worker</c> default to −10.
    /// </summary>
    public int EngineNice { get; set; }

    /// <summary>Log where the engine's steps spend their time, phase by phase, with every progress report (default off).</summary>
    public bool LogStepPhases { get; set; }

    /// <summary>KV-cache budget of the decode engine in bytes (default 2 GiB).</summary>
    public long KvCacheBytes { get; set; } = 2L << 30;

    /// <summary>Most tokens in one forward step (default 1024).</summary>
    public int MaxBatchedTokens { get; set; } = 1024;

    /// <summary>Most sequences decoding together (default 64).</summary>
    public int MaxRunningSequences { get; set; } = 64;

    /// <summary>Most sequences waiting beyond the running slots still free; past it requests are refused as overload (default 256).</summary>
    public int MaxWaitingSequences { get; set; } = 256;

    /// <summary>Context limit for prompt + output; 0 means the model's own (default 0).</summary>
    public int MaxModelLength { get; set; }

    /// <summary>
    /// Where routed experts run (default <see cref="Hosting.ExpertExecution.Local"/>; <c>elastic serve</c> defaults to Cluster).
    /// With Cluster, a Prefill or Decode silo holds no routed expert weights of its own.
    /// </summary>
    public ExpertExecution ExpertExecution { get; set; } = ExpertExecution.Local;

    /// <summary>
    /// With <see cref="Hosting.ExpertExecution.Cluster"/>: how many expert shards the model's experts are spread over
    /// when the first worker finds the placement directory empty (default 2). Ignored once a placement exists.
    /// </summary>
    public int ExpertShards { get; set; } = 2;

    /// <summary>The URL gateways use to reach this worker's HTTP endpoint, published in silo metadata (set by <c>WorkerApp</c>).</summary>
    public string? AdvertisedHttpUrl { get; set; }

    /// <summary>Where a decode silo runs prompt prefill (default <see cref="Hosting.PrefillMode.Auto"/>).</summary>
    public PrefillMode Prefill { get; set; } = PrefillMode.Auto;

    /// <summary>On a graceful stop, how long in-flight requests may take to finish before the worker stops anyway (default 30 s).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void CopyTo(WorkerOptions target)
    {
        target.Role = Role;
        target.ModelDirectory = ModelDirectory;
        target.Threads = Threads;
        target.EngineNice = EngineNice;
        target.LogStepPhases = LogStepPhases;
        target.KvCacheBytes = KvCacheBytes;
        target.MaxBatchedTokens = MaxBatchedTokens;
        target.MaxRunningSequences = MaxRunningSequences;
        target.MaxWaitingSequences = MaxWaitingSequences;
        target.MaxModelLength = MaxModelLength;
        target.ExpertExecution = ExpertExecution;
        target.ExpertShards = ExpertShards;
        target.Prefill = Prefill;
        target.AdvertisedHttpUrl = AdvertisedHttpUrl;
        target.DrainTimeout = DrainTimeout;
    }
}
