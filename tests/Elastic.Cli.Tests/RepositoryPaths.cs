namespace Elastic.Cli.Tests;

/// <summary>Files of this repository the tests read (docker-compose.yml, tests/js), found above the test binaries.</summary>
internal static class RepositoryPaths
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Elastic.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Elastic.sln not found above " + AppContext.BaseDirectory);
    }
}
