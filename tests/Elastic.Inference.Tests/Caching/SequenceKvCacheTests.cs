using Elastic.Inference.Caching;
using Elastic.Inference.Configuration;
using Elastic.Inference.Modeling;
using Elastic.Inference.Tests.Modeling;
using Elastic.Inference.Tests.TestCheckpoints;
using TorchSharp;

namespace Elastic.Inference.Tests.Caching;

[Trait("Category", "Unit")]
public sealed class SequenceKvCacheTests
{
    [Fact]
    public void EnsureRoom_AllocatesTheReservationAtOnce_AndKeepsWhatItHeldWhenTheReservationGrows()
    {
        TorchRuntime.EnsureConfigured();
        using var scope = torch.NewDisposeScope();
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Qwen3Moe));
        var manager = new KvCacheManager(config, 16L << 20);
        using var cache = manager.TryAllocate(40)!;

        cache.EnsureRoom(3);
        Assert.Equal(40, cache.Capacity);
        Assert.Equal(40L * manager.BytesPerToken, manager.AllocatedBytes);

        var keys = torch.randn(config.NumKvHeads, 3, config.HeadDim, generator: torch.manual_seed(1));
        var values = torch.randn(config.NumKvHeads, 3, config.HeadDim, generator: torch.manual_seed(2));
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            cache.Write(layer, 0, keys, values);
        }

        cache.Advance(3);
        Assert.True(cache.TryReserve(100));
        cache.EnsureRoom(40);

        Assert.Equal(100, cache.Capacity);
        Assert.Equal(100L * manager.BytesPerToken, manager.AllocatedBytes);
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var (heldKeys, heldValues) = cache.Read(layer, 3);
            TensorAssert.Identical(keys, heldKeys, $"layer {layer} keys after growing");
            TensorAssert.Identical(values, heldValues, $"layer {layer} values after growing");
        }
    }
}
