using Elastic.Inference.Generation;

namespace Elastic.Worker.Api;

/// <summary>Runs a request's sequences and answers failures: before the stream began as a status, after it as an event.</summary>
internal static class GenerationRunner
{
    /// <summary>All choices to the end, or null when the request failed or the client left (the answer, if any, is written).</summary>
    public static async Task<ChoiceState[]?> CollectAsync(ApiRequest api, IReadOnlyList<SequencePlan> plans, bool keepTokens)
    {
        var states = plans.Select(plan => new ChoiceState(plan, keepTokens)).ToArray();
        await using var fanOut = SequenceFanOut.Open(api.Backend, plans, api.StartTelemetry(), api.Aborted);
        await foreach (var item in fanOut.ReadAllAsync().ConfigureAwait(false))
        {
            states[item.Index].Add(item.Update);
        }

        return await HandledFailureAsync(api, fanOut, sse: null).ConfigureAwait(false) ? null : states;
    }

    /// <summary>
    /// Streams every update through <paramref name="onUpdate"/> as it arrives; <paramref name="onCompleted"/> runs
    /// after the last one when nothing failed; <c>[DONE]</c> ends the stream either way.
    /// </summary>
    public static async Task StreamAsync(
        ApiRequest api,
        IReadOnlyList<SequencePlan> plans,
        bool keepTokens,
        SseResponse sse,
        Func<ChoiceState, GenerationUpdate, Task> onUpdate,
        Func<IReadOnlyList<ChoiceState>, Task> onCompleted)
    {
        var states = plans.Select(plan => new ChoiceState(plan, keepTokens)).ToArray();
        await using var fanOut = SequenceFanOut.Open(api.Backend, plans, api.StartTelemetry(), api.Aborted);
        await foreach (var item in fanOut.ReadAllAsync().ConfigureAwait(false))
        {
            var state = states[item.Index];
            state.Add(item.Update);
            await onUpdate(state, item.Update).ConfigureAwait(false);
        }

        if (await HandledFailureAsync(api, fanOut, sse).ConfigureAwait(false))
        {
            return;
        }

        await onCompleted(states).ConfigureAwait(false);
        await sse.WriteDoneAsync().ConfigureAwait(false);
    }

    private static async Task<bool> HandledFailureAsync(ApiRequest api, SequenceFanOut fanOut, SseResponse? sse)
    {
        if (api.Aborted.IsCancellationRequested)
        {
            ApiLog.ClientGone(api.Logger, api.Http.Request.Method, api.Http.Request.Path.Value);
            return true;
        }

        if (fanOut.Failure is not { } failure)
        {
            return false;
        }

        var error = api.ErrorFor(failure);
        if (sse is { Started: true })
        {
            api.Metrics?.RecordRequest(error.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await sse.WriteErrorAsync(error).ConfigureAwait(false);
            await sse.WriteDoneAsync().ConfigureAwait(false);
        }
        else
        {
            await api.WriteErrorAsync(error).ConfigureAwait(false);
        }

        return true;
    }
}
