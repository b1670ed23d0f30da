using System.CommandLine;
using Elastic.Cli.Bench;

namespace Elastic.Cli;

/// <summary>The <c>elastic</c> command line.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Elastic: elastic serving of Mixture-of-Experts models")
        {
            BenchCommand.Create(),
        };

        try
        {
            return root.Parse(args).Invoke();
        }
        catch (ArgumentException ex)
        {
            System.Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }
}
