using TorchSharp;
using static TorchSharp.torch;

namespace Elastic.Inference.Experts;

/// <summary>Runs experts held in this process: one batched SwiGLU per expert per step.</summary>
public sealed class LocalExpertExecutor : IExpertExecutor, IDisposable
{
    private readonly Dictionary<ExpertKey, ExpertWeights> _experts;

    public LocalExpertExecutor(IEnumerable<ExpertWeights> experts)
    {
        _experts = experts.ToDictionary(e => e.Key);
    }

    public int Count => _experts.Count;

    public long Bytes => _experts.Values.Sum(e => e.Bytes);

    public Tensor Execute(Tensor hidden, ExpertRouting routing)
    {
        var output = torch.zeros_like(hidden);
        foreach (var group in routing.Groups)
        {
            if (!_experts.TryGetValue(group.Expert, out var weights))
            {
                throw new InvalidOperationException($"expert {group.Expert} is not held by this executor");
            }

            var rows = torch.tensor(group.Rows);
            var x = group.Rows.Length == routing.Rows ? hidden : hidden.index_select(0, rows);
            var y = weights.Forward(x) * torch.tensor(group.Weights).unsqueeze(1);
            output.index_add_(0, rows, y, 1);
        }

        return output;
    }

    public void Dispose()
    {
        foreach (var e in _experts.Values)
        {
            e.Dispose();
        }

        _experts.Clear();
    }
}
