using System.CommandLine;
using Elastic.Abstractions.Cluster;
using Elastic.Gateway.Configuration;
using Elastic.Worker.Hosting;

namespace Elastic.Cli;

/// <summary>Options several commands share, defined once.</summary>
internal static class CliOptions
{
    /// <summary>The default model shipped in the repository's models/ folder (trained by <c>elastic train</c>).</summary>
    public const string DefaultModelName = "elastic-moe-tiny";

    public static Option<string?> Model() => new("--model", "-m")
    {
        Description = $"Hugging Face checkpoint folder (default: models/{DefaultModelName} of this repository)",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "libtorch and kernel threads",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<int> EngineNice() => new("--engine-nice")
    {
        Description = "Linux nice value of the engine's threads, -20 to 19: below 0 decode steps take the cores ahead of HTTP threads (needs CAP_SYS_NICE; without it a warning and 0)",
        DefaultValueFactory = _ => -10,
    };

    public static Option<bool> LogStepPhases() => new("--log-step-phases")
    {
        Description = "Log where the engine's steps spend their time (µs per step of each phase: norms, projections, attention, experts, logits, sampling) with every 10 s progress report",
    };

    public static Option<string> Cluster() => new("--cluster") { Description = "Cluster membership shared by the processes: redis://HOST:PORT", Required = true };

    public static Option<string> GatewayHost() => new("--host") { Description = "Address the gateway listens on", DefaultValueFactory = _ => "127.0.0.1" };

    public static Option<int> GatewayPort() => new("--port") { Description = "Gateway port (the OpenAI API)", DefaultValueFactory = _ => 8080 };

    public static Option<string[]> ApiKeys() => new("--api-key") { Description = "Accepted Bearer keys (none: no authentication)", AllowMultipleArgumentsPerToken = true };

    public static Option<int> RequestsPerMinute() => new("--requests-per-minute") { Description = "Per-key rate limit (0: none)", DefaultValueFactory = _ => 0 };

    public static Option<int> KvCacheMb() => new("--kv-cache-mb") { Description = "KV-cache budget of the decode engine", DefaultValueFactory = _ => 1024 };

    public static Option<string> Experts()
    {
        var experts = new Option<string>("--experts")
        {
            Description = "Where routed experts run: 'cluster' (expert-shard grains, one call per shard per MoE layer) or 'local' (in the decode engine)",
            DefaultValueFactory = _ => "cluster",
        };
        experts.AcceptOnlyFromAmong("cluster", "local");
        return experts;
    }

    public static Option<int> ExpertShards() => new("--expert-shards") { Description = "Expert shards the experts are spread over (with --experts cluster)", DefaultValueFactory = _ => 2 };

    public static ExpertExecution ParseExperts(string? value) =>
        string.Equals(value, "local", StringComparison.Ordinal) ? ExpertExecution.Local : ExpertExecution.Cluster;

    /// <summary>Gateway settings from the shared gateway flags.</summary>
    public static GatewayOptions Gateway(string listenUrl, int requestsPerMinute, IEnumerable<string>? apiKeys)
    {
        var options = new GatewayOptions { ListenUrl = listenUrl, RequestsPerMinutePerKey = requestsPerMinute };
        foreach (var key in apiKeys ?? [])
        {
            options.ApiKeys.Add(key);
        }

        return options;
    }

    /// <summary>Parses a --cluster value, naming the flag in the error.</summary>
    public static ClusterConnection ParseCluster(string? value)
    {
        try
        {
            return ClusterConnection.Parse(value ?? string.Empty);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"--cluster: {ex.Message}", ex);
        }
    }

    /// <summary>The given folder, or the shipped default model found from the working or the program's folder.</summary>
    public static string ResolveModel(string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return Directory.Exists(given)
                ? given
                : throw new ArgumentException($"--model: folder '{given}' does not exist");
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "models", DefaultModelName);
                if (File.Exists(Path.Combine(candidate, "config.json")))
                {
                    return candidate;
                }
            }
        }

        throw new ArgumentException($"--model not given and the default model models/{DefaultModelName} was not found above {Directory.GetCurrentDirectory()}");
    }
}
