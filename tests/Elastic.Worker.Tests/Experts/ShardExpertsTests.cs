using Elastic.Abstractions.Grains;
using Elastic.Inference.Experts;
using Elastic.Inference.Modeling;
using Elastic.Worker.Experts;
using TorchSharp;

namespace Elastic.Worker.Tests.Experts;

public sealed class ShardExpertsTests
{
    private const int Hidden = 8;
    private const int Intermediate = 12;

    public ShardExpertsTests() => TorchRuntime.EnsureConfigured();

    [Fact]
    public void Compute_EqualsEachExpertTimesItsWeight()
    {
        var shard = new ShardExperts("s", metrics: null);
        var (a, b) = (Expert(0, 1, seed: 1), Expert(0, 2, seed: 2));
        shard.Add(Hidden, [a, b]);
        var input = Enumerable.Range(0, 2 * Hidden).Select(i => MathF.Sin(i)).ToArray();
        var batch = new ExpertBatch(1, 0, 2, Hidden, input, [new ExpertAssignment(1, [0, 1], [0.25f, 1f]), new ExpertAssignment(2, [1], [0.5f])]);

        float[] output;
        using (var work = shard.Begin(batch))
        {
            output = work.Compute().Output;
        }

        using var x = torch.tensor(input, [2, Hidden]);
        using var fa = a.Forward(x);
        using var fb = b.Forward(x);
        var (ya, yb) = (fa.data<float>().ToArray(), fb.data<float>().ToArray());
        for (var j = 0; j < Hidden; j++)
        {
            Assert.Equal(0.25f * ya[j], output[j], 1e-5f);
            Assert.Equal(ya[Hidden + j] + 0.5f * yb[Hidden + j], output[Hidden + j], 1e-5f);
        }

        Assert.Equal(1, shard.Batches);
        Assert.Equal(2, shard.Rows);
    }

    [Fact]
    public void Remove_WhileABatchHoldsTheExpert_DisposesItOnlyWhenTheBatchEnds()
    {
        var shard = new ShardExperts("s", metrics: null);
        var expert = Expert(1, 0, seed: 3);
        shard.Add(Hidden, [expert]);
        var batch = new ExpertBatch(1, 1, 1, Hidden, new float[Hidden], [new ExpertAssignment(0, [0], [1f])]);

        var work = shard.Begin(batch);
        Assert.Equal(1, shard.Remove(new HashSet<ExpertId> { new(1, 0) }));

        Assert.False(expert.IsDisposed);
        Assert.Equal(Hidden, work.Compute().Output.Length);
        work.Dispose();
        Assert.True(expert.IsDisposed);
        Assert.Empty(shard.Experts);
        Assert.Equal(new ExpertId(1, 0), Assert.Throws<ExpertNotLoadedException>(() => shard.Begin(batch)).Expert);
    }

    [Fact]
    public void Begin_BatchOfTheWrongShape_NamesWhatIsWrongAndHoldsNothing()
    {
        var shard = new ShardExperts("s", metrics: null);
        var expert = Expert(0, 0, seed: 4);
        shard.Add(Hidden, [expert]);

        var shortInput = Assert.Throws<ArgumentException>(() => shard.Begin(new ExpertBatch(1, 0, 2, Hidden, new float[Hidden], [new ExpertAssignment(0, [0], [1f])])));
        var badRow = Assert.Throws<ArgumentException>(() => shard.Begin(new ExpertBatch(1, 0, 1, Hidden, new float[Hidden], [new ExpertAssignment(0, [1], [1f])])));

        Assert.Contains("rows × hidden = 2 × 8", shortInput.Message, StringComparison.Ordinal);
        Assert.Contains("rows lie in 0..0", badRow.Message, StringComparison.Ordinal);

        // No batch holds the expert after the refusals: removing it disposes it at once.
        shard.Remove(null);
        Assert.True(expert.IsDisposed);
    }

    private static ExpertWeights Expert(int layer, int index, int seed)
    {
        var random = new Random(seed);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5))];
        using var gateUp = torch.tensor(Values(2 * Intermediate * Hidden), [2 * Intermediate, Hidden]);
        using var down = torch.tensor(Values(Hidden * Intermediate), [Hidden, Intermediate]);
        return ExpertWeights.Pack(new ExpertKey(layer, index), gateUp, down);
    }
}
