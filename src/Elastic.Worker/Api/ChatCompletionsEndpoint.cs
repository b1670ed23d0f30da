using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Chat;
using Elastic.Inference.Generation;

namespace Elastic.Worker.Api;

/// <summary><c>POST /v1/chat/completions</c>: the conversation rendered with the model's chat template, n replies, whole or streamed.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(ApiRequest api)
    {
        var request = await api.ReadRequestAsync<ChatCompletionRequest>(OpenAiRequestParser.TryParseChatCompletion, r => r.Model).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        var backend = api.Backend;
        var prompt = backend.EncodeChat([.. request.Messages.Select(m => new ChatMessage(m.Role, m.Content))]);
        var error = SamplingPlanner.TryPlan(request.Sampling, backend.Generation, request.MaxTokens, int.MaxValue, request.TopLogprobs, prompt.Count, backend.MaxModelLength, "messages", out var sampling);
        if (error is not null)
        {
            await api.WriteErrorAsync(error).ConfigureAwait(false);
            return;
        }

        var plans = Enumerable.Range(0, request.Sampling.N)
            .Select(j => new SequencePlan(j, 0, prompt, SamplingPlanner.ForChoice(sampling, j)))
            .ToList();
        var formatter = request.Logprobs ? new LogprobFormatter(backend, request.ReturnTokensAsTokenIds, request.TopLogprobs ?? 0) : null;
        var response = new Response(OpenAiIds.NewChatCompletionId(), api.NowUnixSeconds, backend.ModelName, prompt.Count, formatter);
        if (request.Stream)
        {
            await StreamAsync(api, plans, response, request.IncludeUsage).ConfigureAwait(false);
            return;
        }

        var states = await GenerationRunner.CollectAsync(api, plans, formatter is not null).ConfigureAwait(false);
        if (states is not null)
        {
            await api.WriteJsonAsync(response.Complete(states), OpenAiJsonContext.Default.ChatCompletionResponse).ConfigureAwait(false);
        }
    }

    private static Task StreamAsync(ApiRequest api, List<SequencePlan> plans, Response response, bool includeUsage)
    {
        var sse = new SseResponse(api.Http);
        return GenerationRunner.StreamAsync(api, plans, response.Formatter is not null, sse,
            async (state, update) =>
            {
                foreach (var chunk in response.Chunks(state, update))
                {
                    await sse.WriteAsync(chunk, OpenAiJsonContext.Default.ChatCompletionChunk).ConfigureAwait(false);
                }
            },
            async states =>
            {
                if (includeUsage)
                {
                    await sse.WriteAsync(response.UsageChunk(states), OpenAiJsonContext.Default.ChatCompletionChunk).ConfigureAwait(false);
                }
            });
    }

    /// <summary>The parts every choice and chunk of one response share.</summary>
    private sealed record Response(string Id, long Created, string Model, int PromptTokens, LogprobFormatter? Formatter)
    {
        public ChatCompletionResponse Complete(IReadOnlyList<ChoiceState> states) => new()
        {
            Id = Id,
            Created = Created,
            Model = Model,
            Choices = [.. states.Select(state => new ChatChoice
            {
                Index = state.Index,
                Message = new ChatResponseMessage { Content = state.Text },
                Logprobs = Formatter?.Chat(state.Tokens),
                FinishReason = FinishReasons.ToOpenAi(state.Finish),
            })],
            Usage = Usage(states),
        };

        /// <summary>OpenAI's sequence per choice: the role with empty content first, content deltas, then an empty delta with finish_reason.</summary>
        public IEnumerable<ChatCompletionChunk> Chunks(ChoiceState state, GenerationUpdate update)
        {
            if (!state.Started)
            {
                state.Started = true;
                yield return Chunk(state.Index, new ChatDelta { Role = "assistant", Content = "" }, null, null);
            }

            var logprobs = Formatter is not null && update.Token is { } token ? Formatter.Chat([token]) : null;
            if (update.Text.Length > 0 || logprobs is not null)
            {
                yield return Chunk(state.Index, new ChatDelta { Content = update.Text }, logprobs, null);
            }

            if (FinishReasons.ToOpenAi(update.Finish) is { } finish)
            {
                yield return Chunk(state.Index, new ChatDelta(), null, finish);
            }
        }

        public ChatCompletionChunk UsageChunk(IReadOnlyList<ChoiceState> states) =>
            new() { Id = Id, Created = Created, Model = Model, Choices = [], Usage = Usage(states) };

        private ChatCompletionChunk Chunk(int index, ChatDelta delta, ChatLogprobs? logprobs, string? finish) => new()
        {
            Id = Id,
            Created = Created,
            Model = Model,
            Choices = [new ChatChunkChoice { Index = index, Delta = delta, Logprobs = logprobs, FinishReason = finish }],
        };

        private Usage Usage(IReadOnlyList<ChoiceState> states) =>
            new() { PromptTokens = PromptTokens, CompletionTokens = states.Sum(s => s.OutputTokens) };
    }
}
