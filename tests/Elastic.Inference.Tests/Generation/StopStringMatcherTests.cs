using Elastic.Inference.Generation;

namespace Elastic.Inference.Tests.Generation;

[Trait("Category", "Unit")]
public sealed class StopStringMatcherTests
{
    [Fact]
    public void Push_StopSplitAcrossDeltas_CutsBeforeItAndNeverEmitsPart()
    {
        var matcher = new StopStringMatcher(["END"]);
        var emitted = new List<string>();

        foreach (var delta in new[] { "hello E", "N", "D tail" })
        {
            var (emit, stopped) = matcher.Push(delta);
            emitted.Add(emit);
            if (stopped)
            {
                break;
            }
        }

        Assert.Equal("hello ", string.Concat(emitted));
        Assert.DoesNotContain(emitted, e => e.Contains('E', StringComparison.Ordinal));
    }

    [Fact]
    public void Push_FalseStartOfStop_IsEmittedOnceDisproved()
    {
        var matcher = new StopStringMatcher(["END"]);

        Assert.Equal(("ab", false), matcher.Push("abE"));
        Assert.Equal(("ENx", false), matcher.Push("Nx"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Push_EarliestOfSeveralStops_Wins()
    {
        var matcher = new StopStringMatcher(["\n\n", "}"]);
        Assert.Equal(("{\"a\": 1", true), matcher.Push("{\"a\": 1}\n\nmore"));
    }

    [Fact]
    public void Flush_NoStop_ReturnsHeldBackText()
    {
        var matcher = new StopStringMatcher(["STOP"]);
        Assert.Equal(("value ", false), matcher.Push("value ST"));
        Assert.Equal("ST", matcher.Flush());
    }

    [Fact]
    public void Push_HoldBack_NeverSplitsSurrogatePair()
    {
        var matcher = new StopStringMatcher(["\uDE00x"]);
        var (emit, _) = matcher.Push("a😀");
        Assert.False(emit.Length > 0 && char.IsHighSurrogate(emit[^1]));
    }
}
