using System.CommandLine;
using Elastic.Cli.Analysis;
using Elastic.Cli.Bench;
using Elastic.Cli.Cluster;
using Elastic.Cli.Eval;
using Elastic.Cli.Generate;
using Elastic.Cli.Serve;
using Elastic.Cli.Train;
using Elastic.Inference.Configuration;

namespace Elastic.Cli;

/// <summary>The <c>elastic</c> command line.</summary>
internal static class Program
{
    /// <summary>How long a command may take to stop after Ctrl-C or SIGTERM (a worker drains for up to 30 s first).</summary>
    private static readonly TimeSpan ShutdownAllowance = TimeSpan.FromSeconds(120);

    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Elastic: elastic serving of Mixture-of-Experts models")
        {
            ServeCommand.Create(),
            UpCommand.Create(),
            WorkerCommand.Create(),
            GatewayCommand.Create(),
            GenerateCommand.Create(),
            TrainCommand.Create(),
            EvalCommand.Create(),
            AnalyzeRoutingCommand.Create(),
            BenchCommand.Create(),
        };

        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = ShutdownAllowance });
        }
        catch (Exception ex) when (ex is ArgumentException or CheckpointException or Inference.Chat.ChatTemplateException)
        {
            System.Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }
}
