using System.Runtime.CompilerServices;
using Elastic.Inference.Engine;
using Elastic.Inference.Sampling;

namespace Elastic.Inference.Generation;

/// <summary>One streamed piece of a generation: new text, the token behind it, and how it ended.</summary>
public sealed record GenerationUpdate(string Text, SampledToken? Token, FinishReason? Finish, int PromptTokens, int OutputTokens)
{
    /// <summary>How long the sequence waited in the engine's queue before it first joined the running batch.</summary>
    public TimeSpan QueueTime { get; init; }
}

/// <summary>
/// Turns engine tokens into text for one request: incremental detokenization that never splits a
/// character, stop strings (the output is cut before them) and end-of-stream flushing.
/// </summary>
public sealed class TextGenerator(ServedModel model, EngineLoop loop)
{
    public ServedModel Model => model;

    public EngineLoop Loop => loop;

    /// <summary>Streams the continuation of <paramref name="prompt"/>. Cancelling frees the sequence's KV cache within one step.</summary>
    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, CancellationToken cancellationToken = default) =>
        GenerateAsync(prompt, sampling, prefilled: null, cancellationToken);

    /// <summary>
    /// As <see cref="GenerateAsync(IReadOnlyList{int}, SamplingParams, CancellationToken)"/>; with <paramref name="prefilled"/>
    /// the prompt's KV cache and first token come from a prefill elsewhere and the engine only decodes.
    /// </summary>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, PrefillHandOff? prefilled, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = loop.Submit(new GenerationRequest(prompt, sampling) { Prefilled = prefilled }, abort.Token);
        var detokenizer = model.Tokenizer.CreateDetokenizer(skipSpecialTokens: true);
        var stops = new StopStringMatcher(sampling.Stop);
        try
        {
            await foreach (var update in Stream(reader, detokenizer, stops, sampling, abort, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            // A consumer that stops reading early, a disconnect or a stop string: the engine must drop the
            // sequence now (freeing its KV cache), not when max_tokens runs out. Cancelling after the
            // sequence finished is a no-op.
            await abort.CancelAsync().ConfigureAwait(false);
        }
    }

    private async IAsyncEnumerable<GenerationUpdate> Stream(
        System.Threading.Channels.ChannelReader<SequenceOutput> reader,
        Tokenization.IncrementalDetokenizer detokenizer,
        StopStringMatcher stops,
        SamplingParams sampling,
        CancellationTokenSource abort,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var output in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var token = output.Token!;
            var endsWithEos = output.Finish == FinishReason.Stop && !sampling.IgnoreEos && model.EosTokenIds.Contains(token.TokenId);
            var text = endsWithEos || sampling.StopTokenIds.Contains(token.TokenId) ? "" : detokenizer.Append(token.TokenId);
            if (output.Finish is not null)
            {
                text += detokenizer.Flush();
            }

            var (emit, stopped) = stops.Push(text);
            if (stopped)
            {
                // Ending the sequence here frees its cache now rather than after max_tokens.
                await abort.CancelAsync().ConfigureAwait(false);
                yield return new GenerationUpdate(emit, token, FinishReason.Stop, output.PromptTokens, output.OutputTokens) { QueueTime = output.QueueTime };
                yield break;
            }

            if (output.Finish is not null)
            {
                emit += stops.Flush();
            }

            yield return new GenerationUpdate(emit, token, output.Finish, output.PromptTokens, output.OutputTokens) { QueueTime = output.QueueTime };
        }
    }
}
