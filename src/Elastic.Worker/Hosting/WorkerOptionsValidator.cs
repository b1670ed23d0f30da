using Elastic.Abstractions.Grains;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Hosting;

/// <summary>Fails start-up with a message naming the first bad <see cref="WorkerOptions"/> setting.</summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var problem = FirstProblem(options);
        return problem is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail($"{WorkerOptions.SectionName}:{problem}");
    }

    private static string? FirstProblem(WorkerOptions o)
    {
        if (o.Role == WorkerRole.None || (o.Role & ~WorkerRole.All) != 0)
        {
            return $"{nameof(o.Role)} must be a combination of Prefill, Decode and Expert, got '{o.Role}'";
        }

        if ((o.Role & (WorkerRole.Prefill | WorkerRole.Decode)) != 0)
        {
            if (string.IsNullOrWhiteSpace(o.ModelDirectory))
            {
                return $"{nameof(o.ModelDirectory)} is required for a worker with the {o.Role & (WorkerRole.Prefill | WorkerRole.Decode)} role";
            }

            if (!File.Exists(Path.Combine(o.ModelDirectory, "config.json")))
            {
                return $"{nameof(o.ModelDirectory)} '{o.ModelDirectory}' is not a checkpoint folder (no config.json)";
            }
        }

        if (o.Threads is < 1 or > 4096)
        {
            return $"{nameof(o.Threads)} must be between 1 and 4096, got {o.Threads}";
        }

        if (o.EngineNice is < -20 or > 19)
        {
            return $"{nameof(o.EngineNice)} must be between -20 and 19, got {o.EngineNice}";
        }

        if (o.KvCacheBytes <= 0)
        {
            return $"{nameof(o.KvCacheBytes)} must be positive, got {o.KvCacheBytes}";
        }

        if (o.MaxBatchedTokens <= 0)
        {
            return $"{nameof(o.MaxBatchedTokens)} must be positive, got {o.MaxBatchedTokens}";
        }

        if (o.MaxRunningSequences <= 0)
        {
            return $"{nameof(o.MaxRunningSequences)} must be positive, got {o.MaxRunningSequences}";
        }

        if (o.MaxWaitingSequences < 0)
        {
            return $"{nameof(o.MaxWaitingSequences)} must not be negative, got {o.MaxWaitingSequences}";
        }

        if (o.MaxModelLength < 0)
        {
            return $"{nameof(o.MaxModelLength)} must not be negative, got {o.MaxModelLength}";
        }

        if (!Enum.IsDefined(o.ExpertExecution))
        {
            return $"{nameof(o.ExpertExecution)} must be Local or Cluster, got '{o.ExpertExecution}'";
        }

        if (o.ExpertShards is < 1 or > 4096)
        {
            return $"{nameof(o.ExpertShards)} must be between 1 and 4096, got {o.ExpertShards}";
        }

        if (o.DrainTimeout < TimeSpan.Zero || o.DrainTimeout > TimeSpan.FromHours(1))
        {
            return $"{nameof(o.DrainTimeout)} must be between 0 and 1 hour, got {o.DrainTimeout}";
        }

        return Enum.IsDefined(o.Prefill) ? null : $"{nameof(o.Prefill)} must be Auto, Local or Remote, got '{o.Prefill}'";
    }
}
