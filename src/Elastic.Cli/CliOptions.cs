using System.CommandLine;

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
