using System.Globalization;
using System.Text;
using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary><c>POST /v1/completions</c>: one or more prompts, n choices each, whole or streamed.</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(ApiRequest api)
    {
        var request = await api.ReadRequestAsync<CompletionRequest>(OpenAiRequestParser.TryParseCompletion, r => r.Model).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        var backend = api.Backend;
        var prompts = new List<IReadOnlyList<int>>(request.Prompts.Count);
        var plans = new List<SequencePlan>(request.Prompts.Count * request.Sampling.N);
        foreach (var input in request.Prompts)
        {
            var tokens = input.Text is { } text ? backend.EncodePrompt(text) : input.TokenIds!;
            var error = CheckPromptTokens(tokens, backend.VocabSize);
            SamplingParams? sampling = null;
            error ??= SamplingPlanner.TryPlan(request.Sampling, backend.Generation, request.MaxTokens, SamplingPlanner.DefaultCompletionMaxTokens, request.Logprobs,
                tokens.Count, backend.MaxModelLength, "prompt", out sampling);
            if (error is not null)
            {
                await api.WriteErrorAsync(error).ConfigureAwait(false);
                return;
            }

            for (var j = 0; j < request.Sampling.N; j++)
            {
                plans.Add(new SequencePlan(plans.Count, prompts.Count, tokens, SamplingPlanner.ForChoice(sampling!, j)));
            }

            prompts.Add(tokens);
        }

        var echoes = request.Echo ? request.Prompts.Select((p, i) => p.Text ?? Decode(backend, prompts[i])).ToArray() : null;
        var formatter = request.Logprobs is { } top ? new LogprobFormatter(backend, request.ReturnTokensAsTokenIds, top) : null;
        var response = new Response(OpenAiIds.NewCompletionId(), api.NowUnixSeconds, backend.ModelName, prompts.Sum(p => p.Count), echoes, formatter);
        if (request.Stream)
        {
            await StreamAsync(api, plans, response, request.IncludeUsage).ConfigureAwait(false);
            return;
        }

        var states = await GenerationRunner.CollectAsync(api, plans, formatter is not null).ConfigureAwait(false);
        if (states is not null)
        {
            await api.WriteJsonAsync(response.Complete(states), OpenAiJsonContext.Default.CompletionResponse).ConfigureAwait(false);
        }
    }

    private static Task StreamAsync(ApiRequest api, List<SequencePlan> plans, Response response, bool includeUsage)
    {
        var sse = new SseResponse(api.Http);
        return GenerationRunner.StreamAsync(api, plans, response.Formatter is not null, sse,
            async (state, update) =>
            {
                if (response.Chunk(state, update) is { } chunk)
                {
                    await sse.WriteAsync(chunk, OpenAiJsonContext.Default.CompletionResponse).ConfigureAwait(false);
                }
            },
            async states =>
            {
                if (includeUsage)
                {
                    await sse.WriteAsync(response.UsageChunk(states), OpenAiJsonContext.Default.CompletionResponse).ConfigureAwait(false);
                }
            });
    }

    private static OpenAiError? CheckPromptTokens(IReadOnlyList<int> tokens, int vocabSize)
    {
        if (tokens.Count == 0)
        {
            return OpenAiError.InvalidRequest("The prompt must contain at least one token.", "prompt");
        }

        foreach (var token in tokens)
        {
            if ((uint)token >= (uint)vocabSize)
            {
                return OpenAiError.InvalidRequest(
                    string.Create(CultureInfo.InvariantCulture, $"Token id {token} in the prompt is out of vocabulary (0..{vocabSize - 1})."), "prompt");
            }
        }

        return null;
    }

    /// <summary>Echo of a prompt sent as token ids: their bytes, with invalid UTF-8 replaced.</summary>
    private static string Decode(IGenerationBackend backend, IReadOnlyList<int> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            bytes.AddRange(backend.TokenBytes(token));
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>The parts every choice and chunk of one response share.</summary>
    private sealed record Response(string Id, long Created, string Model, int PromptTokens, string[]? Echoes, LogprobFormatter? Formatter)
    {
        public CompletionResponse Complete(IReadOnlyList<ChoiceState> states) => new()
        {
            Id = Id,
            Created = Created,
            Model = Model,
            Choices = [.. states.Select(state => new CompletionChoice
            {
                Index = state.Index,
                Text = Echo(state) + state.Text,
                Logprobs = Formatter?.Completion(state.Tokens, state.Offsets, Echo(state).Length),
                FinishReason = FinishReasons.ToOpenAi(state.Finish),
            })],
            Usage = Usage(states),
        };

        /// <summary>The chunk for one update, or null when it carries nothing (a token that completes no character yet).</summary>
        public CompletionResponse? Chunk(ChoiceState state, GenerationUpdate update)
        {
            var text = update.Text;
            if (!state.Started)
            {
                state.Started = true;
                text = Echo(state) + text;
            }

            var logprobs = Formatter is not null && update.Token is { } token
                ? Formatter.Completion([token], [state.Offsets[^1]], Echo(state).Length)
                : null;
            var finish = FinishReasons.ToOpenAi(update.Finish);
            if (text.Length == 0 && logprobs is null && finish is null)
            {
                return null;
            }

            return new CompletionResponse
            {
                Id = Id,
                Created = Created,
                Model = Model,
                Choices = [new CompletionChoice { Index = state.Index, Text = text, Logprobs = logprobs, FinishReason = finish }],
            };
        }

        public CompletionResponse UsageChunk(IReadOnlyList<ChoiceState> states) =>
            new() { Id = Id, Created = Created, Model = Model, Choices = [], Usage = Usage(states) };

        private Usage Usage(IReadOnlyList<ChoiceState> states) =>
            new() { PromptTokens = PromptTokens, CompletionTokens = states.Sum(s => s.OutputTokens) };

        private string Echo(ChoiceState state) => Echoes is null ? "" : Echoes[state.Plan.PromptIndex];
    }
}
