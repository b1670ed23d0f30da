using Elastic.Inference.Generation;

namespace Elastic.Worker.Grains;

/// <summary>Moves one request's updates from the text generator into its silo-local stream, off the grain scheduler.</summary>
internal static class GenerationPump
{
    public static async Task RunAsync(TextGenerator generator, PendingGeneration pending)
    {
        try
        {
            await foreach (var update in generator.GenerateAsync(pending.Prompt, pending.Sampling, pending.CancellationToken).ConfigureAwait(false))
            {
                await pending.Updates.WriteAsync(update, CancellationToken.None).ConfigureAwait(false);
            }

            pending.Updates.TryComplete();
        }
        catch (Exception ex)
        {
            // Refusals (overload, too long) and failed steps reach the endpoint with their own type.
            pending.Updates.TryComplete(ex);
        }
    }
}
