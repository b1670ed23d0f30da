using Elastic.Inference.Engine;
using Elastic.Inference.Generation;

namespace Elastic.Worker.Grains;

/// <summary>Moves one request's updates from the text generator into its silo-local stream, off the grain scheduler.</summary>
internal static class GenerationPump
{
    /// <param name="generator">The decode engine's text generator.</param>
    /// <param name="pending">The request.</param>
    /// <param name="prefill">When set, the prompt is prefilled there first and its KV cache and first token handed to the engine.</param>
    public static async Task RunAsync(TextGenerator generator, PendingGeneration pending, RemotePrefill? prefill = null)
    {
        try
        {
            PrefillHandOff? handOff = null;
            if (prefill is not null)
            {
                // Refuse what the decode engine could never run before spending a prefill on it.
                generator.Loop.Engine.Validate(new GenerationRequest(pending.Prompt, pending.Sampling));
                handOff = await prefill.RunAsync(generator.Model.Name, pending.Prompt, pending.Sampling, pending.CancellationToken).ConfigureAwait(false);
            }

            await foreach (var update in generator.GenerateAsync(pending.Prompt, pending.Sampling, handOff, pending.CancellationToken).ConfigureAwait(false))
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
