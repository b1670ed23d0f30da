namespace Elastic.Abstractions.Grains;

/// <summary>What a worker silo does; a silo may hold several roles (the all-in-one default holds every one).</summary>
[Flags]
public enum WorkerRole
{
    /// <summary>No role: a silo that only hosts cluster services.</summary>
    None = 0,

    /// <summary>Runs prompt prefill (PrefillGrain).</summary>
    Prefill = 1,

    /// <summary>Runs the continuous decode batch and its HTTP endpoint (DecodeGrain).</summary>
    Decode = 2,

    /// <summary>Holds routed-expert weights and computes them (ExpertShardGrain).</summary>
    Expert = 4,

    /// <summary>Every role: one process serves the whole model.</summary>
    All = Prefill | Decode | Expert,
}
