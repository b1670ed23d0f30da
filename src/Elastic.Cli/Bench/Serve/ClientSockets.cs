namespace Elastic.Cli.Bench.Serve;

/// <summary>
/// How the load generator's socket reads complete. By default .NET hands every completed read from its socket event
/// thread to the thread pool; <c>bench serve</c> asks for the reads to continue on the event thread itself (one thread
/// draining every ready stream, as an asyncio client does), because a load generator sharing the machine with the
/// server takes its CPU from the server: at 32 streams here the client went from 0.37-0.57 to 0.27-0.38 of the two
/// cores, most of the difference thread-pool wake-ups and spinning (see docs/benchmarks.md).
/// </summary>
internal static class ClientSockets
{
    /// <summary>The runtime's switch, read once when the process makes its first asynchronous socket call.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline completions on unless the variable is already set (the user's own value wins). Must run before the
    /// process's first socket call; returns whether reads complete inline.
    /// </summary>
    public static bool PreferInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }

        return Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1";
    }
}
