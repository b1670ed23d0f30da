using System.Runtime.CompilerServices;
using Elastic.Abstractions.Grains;
using Elastic.Abstractions.OpenAi;
using Elastic.Inference.Chat;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Worker.Api;
using Elastic.Worker.Hosting;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Grains;

/// <summary>
/// Serves the OpenAI endpoints of a worker silo through the silo's decode grain: the request is
/// registered in the silo-local <see cref="GenerationStreams"/>, only its id crosses Orleans, and
/// the decode grain hands back the stream of its updates, read here in process.
/// </summary>
public sealed class GrainGenerationBackend(WorkerModel model, GenerationStreams streams, IGrainFactory grains, ILocalSiloDetails silo, IOptions<WorkerOptions> options, ExpertShardBootstrap experts) : IGenerationBackend
{
    private ServedModel Served => model.Served;

    public string ModelName => Served.Name;

    public int MaxModelLength => options.Value.MaxModelLength == 0
        ? Served.Config.MaxPositionEmbeddings
        : Math.Min(options.Value.MaxModelLength, Served.Config.MaxPositionEmbeddings);

    public long CreatedUnixSeconds { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public int VocabSize => Served.Config.VocabSize;

    public GenerationConfig Generation => Served.Generation;

    /// <summary>This silo's decode grain for the served model.</summary>
    public IDecodeGrain DecodeGrain => grains.GetGrain<IDecodeGrain>(DecodeGrainKey.For(silo.SiloAddress.ToString(), ModelName));

    public IReadOnlyList<int> EncodePrompt(string text) => Served.Tokenizer.Encode(text, addSpecialTokens: true);

    public IReadOnlyList<int> EncodeChat(IReadOnlyList<ChatMessage> messages) => Served.EncodeChat(messages);

    public string TokenText(int id)
    {
        var bytes = Served.Tokenizer.TokenBytes(id);
        return bytes.Length > 0 ? OpenAiTokenText.FromBytes(bytes) : Served.Tokenizer.TokenText(id) ?? "";
    }

    public byte[] TokenBytes(int id) => Served.Tokenizer.TokenBytes(id);

    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(IReadOnlyList<int> prompt, SamplingParams sampling, [EnumeratorCancellation] CancellationToken ct)
    {
        // A request arriving while the expert shards still load waits for them rather than failing its first step.
        await experts.WhenReady.WaitAsync(ct).ConfigureAwait(false);
        var pending = streams.Register(prompt, sampling, ct);
        try
        {
            await DecodeGrain.AdmitAsync(pending.RequestId).ConfigureAwait(false);
        }
        catch
        {
            streams.Forget(pending.RequestId);
            throw;
        }

        await foreach (var update in pending.Updates.ConfigureAwait(false))
        {
            yield return update;
        }
    }
}
