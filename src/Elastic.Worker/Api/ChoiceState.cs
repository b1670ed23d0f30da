using System.Text;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;

namespace Elastic.Worker.Api;

/// <summary>What one choice has produced so far: text, tokens (when log-probabilities were asked for) and how it ended.</summary>
internal sealed class ChoiceState(SequencePlan plan, bool keepTokens)
{
    private readonly StringBuilder _text = new();
    private readonly List<SampledToken> _tokens = [];
    private readonly List<int> _offsets = [];

    public SequencePlan Plan { get; } = plan;

    public int Index => Plan.Index;

    /// <summary>Whether the first chunk (chat: the role) was streamed.</summary>
    public bool Started { get; set; }

    public FinishReason? Finish { get; private set; }

    public int OutputTokens { get; private set; }

    public string Text => _text.ToString();

    public int TextLength => _text.Length;

    public IReadOnlyList<SampledToken> Tokens => _tokens;

    /// <summary>Per kept token: where its text starts in <see cref="Text"/>.</summary>
    public IReadOnlyList<int> Offsets => _offsets;

    public void Add(GenerationUpdate update)
    {
        if (keepTokens && update.Token is { } token)
        {
            _tokens.Add(token);
            _offsets.Add(_text.Length);
        }

        _text.Append(update.Text);
        // Engines report the running count; a backend that does not is counted by its tokens.
        OutputTokens = update.OutputTokens > 0 ? Math.Max(OutputTokens, update.OutputTokens) : OutputTokens + (update.Token is null ? 0 : 1);
        Finish ??= update.Finish;
    }
}
