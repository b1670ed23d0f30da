using Elastic.Cli.Bench;

namespace Elastic.Cli.Tests.Bench;

[Trait("Category", "Unit")]
public sealed class BenchModelsTests
{
    [Fact]
    public void WeightBytesPerStep_Batch1_IsTheActiveBytesOfOneToken()
    {
        var c = BenchModels.Get("bench-M");

        Assert.Equal(BenchModels.ActiveBytesPerToken(c), BenchModels.WeightBytesPerStep(c, 1), precision: 0);
    }

    [Fact]
    public void WeightBytesPerStep_LargeBatch_ReadsEveryWeightButTheEmbeddingTable()
    {
        var c = BenchModels.Get("bench-M");
        var everything = (BenchModels.TotalParameters(c) - ((long)c.VocabSize * c.HiddenSize)) * sizeof(float);

        Assert.InRange(BenchModels.WeightBytesPerStep(c, 4096), everything * 0.9999, everything * 1.0001);
        // Batch 32, top-2 of 16: 1 - (14/16)^32 = 98.6 % of the experts.
        var experts = 8.0 * 16 * 3 * 1024 * 1408 * sizeof(float);
        Assert.InRange(everything - BenchModels.WeightBytesPerStep(c, 32), 0.013 * experts, 0.015 * experts);
    }

    [Fact]
    public void Ceiling_IsTheLowerOfComputeAndMemory()
    {
        var c = BenchModels.Get("bench-M");
        var activeParameters = BenchModels.ActiveBytesPerToken(c) / sizeof(float);

        // Ample bandwidth: compute decides. Ample compute: memory decides.
        Assert.Equal(100e9 / (2.0 * activeParameters), BenchModels.CeilingTokensPerSecond(c, 32, 1e6, 100), precision: 6);
        Assert.Equal(50e9 * 32 / BenchModels.WeightBytesPerStep(c, 32), BenchModels.CeilingTokensPerSecond(c, 32, 50, 1e9), precision: 6);
    }

    [Fact]
    public void IdealBatchGain_MemoryBound_IsAPropertyOfTheShape()
    {
        var m16 = BenchModels.Get("bench-M");
        var m8 = BenchModels.Get("bench-M8");

        // Ample compute: a 32-sequence step reads 98.6 % of bench-M's experts, so even a perfect engine gains only
        // 32 × active bytes ÷ step bytes over batch 1, whatever the bandwidth; with 8 experts of twice the size, ~10×.
        var gain = BenchModels.IdealBatchGain(m16, 32, 50, 1e9);
        Assert.Equal(32 * BenchModels.ActiveBytesPerToken(m16) / BenchModels.WeightBytesPerStep(m16, 32), gain, precision: 6);
        Assert.Equal(gain, BenchModels.IdealBatchGain(m16, 32, 100, 1e9), precision: 6);
        Assert.InRange(gain, 6.4, 6.8);
        Assert.InRange(BenchModels.IdealBatchGain(m8, 32, 50, 1e9), 9.5, 10.5);
        Assert.Equal(1.0, BenchModels.IdealBatchGain(m16, 1, 50, 1e9), precision: 6);
    }

    [Fact]
    public void IdealBatchGain_ComputeBound_IsCappedByTheArithmetic()
    {
        var c = BenchModels.Get("bench-M");

        // 100 GFLOP/s against 50 GB/s: the batch's compute ceiling over the bandwidth's batch-1 roofline.
        var ceiling = 100e9 / (2.0 * BenchModels.ActiveBytesPerToken(c) / sizeof(float));
        Assert.Equal(ceiling / (50e9 / BenchModels.ActiveBytesPerToken(c)), BenchModels.IdealBatchGain(c, 1024, 50, 100), precision: 6);
    }
}
