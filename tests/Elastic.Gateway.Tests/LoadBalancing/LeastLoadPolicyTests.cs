using Elastic.Gateway.Configuration;
using Elastic.Gateway.LoadBalancing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Elastic.Gateway.Tests.LoadBalancing;

[Trait("Category", "Unit")]
public sealed class LeastLoadPolicyTests
{
    private static readonly WorkerLoadBoard EmptyBoard = new(Options.Create(new GatewayOptions()));

    [Fact]
    public void PickDestination_LeastOutstandingTokens_PrefersIdleWorker()
    {
        var (policy, board) = Create();
        board.ReportSuccess("busy", new WorkerLoad(4, 0, 0.3, 4000));
        board.ReportSuccess("idle", new WorkerLoad(0, 0, 0.0, 0));

        var picked = policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"), [new DestinationState("busy"), new DestinationState("idle")]);

        Assert.Equal("idle", picked?.DestinationId);
    }

    [Fact]
    public void PickDestination_QueuedWorker_LosesToOneThatCanAdmitDespiteMoreTokens()
    {
        var (policy, board) = Create();
        board.ReportSuccess("queued", new WorkerLoad(8, 3, 0.5, 100));
        board.ReportSuccess("admits", new WorkerLoad(8, 0, 0.5, 900));

        var picked = policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"), [new DestinationState("queued"), new DestinationState("admits")]);

        Assert.Equal("admits", picked?.DestinationId);
    }

    [Fact]
    public void PickDestination_KvCacheNearlyFull_LosesToWorkerWithRoom()
    {
        var (policy, board) = Create();
        board.ReportSuccess("full", new WorkerLoad(2, 0, 0.97, 10));
        board.ReportSuccess("room", new WorkerLoad(2, 0, 0.40, 500));

        var picked = policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"), [new DestinationState("full"), new DestinationState("room")]);

        Assert.Equal("room", picked?.DestinationId);
    }

    [Fact]
    public void PickDestination_EqualLoad_PrefersFewestGatewayRequestsInFlight()
    {
        var (policy, board) = Create();
        board.ReportSuccess("a", WorkerLoad.Idle);
        board.ReportSuccess("b", WorkerLoad.Idle);
        var a = new DestinationState("a") { ConcurrentRequestCount = 3 };
        var b = new DestinationState("b") { ConcurrentRequestCount = 1 };

        var picked = policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"), [a, b]);

        Assert.Equal("b", picked?.DestinationId);
    }

    [Fact]
    public void PickDestination_DeadOrUnknownWorker_IsNeverPicked()
    {
        var (policy, board) = Create();
        board.ReportSuccess("dead", WorkerLoad.Idle);
        board.ReportFailure("dead");
        board.ReportFailure("dead");
        board.ReportSuccess("loaded", new WorkerLoad(30, 20, 0.99, 100_000));

        var picked = policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"),
            [new DestinationState("dead"), new DestinationState("never-polled"), new DestinationState("loaded")]);

        Assert.Equal("loaded", picked?.DestinationId);
    }

    [Fact]
    public void PickDestination_NoLiveWorker_ReturnsNull()
    {
        var policy = new LeastLoadPolicy(EmptyBoard);

        Assert.Null(policy.PickDestination(new DefaultHttpContext(), new ClusterState("c"), [new DestinationState("x")]));
    }

    [Fact]
    public void Board_OneMissedPoll_IsForgiven_TwoMarkDead()
    {
        var (_, board) = Create();
        board.ReportSuccess("w", WorkerLoad.Idle);

        board.ReportFailure("w");
        Assert.True(board.TryGetLiveLoad("w", out _));
        board.ReportFailure("w");
        Assert.False(board.TryGetLiveLoad("w", out _));
        board.ReportSuccess("w", WorkerLoad.Idle);
        Assert.True(board.TryGetLiveLoad("w", out _));
    }

    private static (LeastLoadPolicy Policy, WorkerLoadBoard Board) Create()
    {
        var board = new WorkerLoadBoard(Options.Create(new GatewayOptions { DeadAfterFailedPolls = 2 }));
        return (new LeastLoadPolicy(board), board);
    }
}
