using Elastic.Gateway.Configuration;
using Elastic.Gateway.LoadBalancing;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.Tests.LoadBalancing;

[Trait("Category", "Unit")]
public sealed class WorkerLoadBoardTests
{
    [Fact]
    public void DrainingWorker_LeavesRouting_AndComesBackWhenItReportsReadyLoad()
    {
        var board = new WorkerLoadBoard(Options.Create(new GatewayOptions()));
        var changes = new List<(string, bool)>();
        board.LivenessChanged += (id, live) => changes.Add((id, live));

        board.ReportSuccess("w", new WorkerLoad(1, 0, 0.1, 10));
        Assert.True(board.TryGetLiveLoad("w", out _));

        board.ReportSuccess("w", new WorkerLoad(1, 0, 0.1, 10, Draining: true));
        board.ReportSuccess("w", new WorkerLoad(0, 0, 0.0, 0, Draining: true));
        Assert.False(board.TryGetLiveLoad("w", out _));

        board.ReportSuccess("w", new WorkerLoad(0, 0, 0.0, 0));
        Assert.True(board.TryGetLiveLoad("w", out _));
        Assert.Equal([("w", true), ("w", false), ("w", true)], changes);
    }
}
