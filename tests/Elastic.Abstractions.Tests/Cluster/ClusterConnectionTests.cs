using Elastic.Abstractions.Cluster;

namespace Elastic.Abstractions.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class ClusterConnectionTests
{
    [Theory]
    [InlineData("redis://127.0.0.1:6380", "127.0.0.1", 6380, 0, "127.0.0.1:6380,defaultDatabase=0,abortConnect=false")]
    [InlineData("redis://redis.elastic.svc", "redis.elastic.svc", 6379, 0, "redis.elastic.svc:6379,defaultDatabase=0,abortConnect=false")]
    [InlineData("REDIS://cache:7000/3", "cache", 7000, 3, "cache:7000,defaultDatabase=3,abortConnect=false")]
    public void Parse_RedisAddress_GivesHostPortDatabase(string text, string host, int port, int database, string configuration)
    {
        var c = ClusterConnection.Parse(text);

        Assert.Equal(ClusterKind.Redis, c.Kind);
        Assert.Equal((host, port, database), (c.Host, c.Port, c.Database));
        Assert.Equal(configuration, c.RedisConfiguration);
    }

    [Fact]
    public void Parse_Localhost_IsTheSingleProcessCluster() => Assert.Same(ClusterConnection.Localhost, ClusterConnection.Parse(" localhost "));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1:6379", "redis://HOST:PORT")]
    [InlineData("http://127.0.0.1:6379", "redis://HOST:PORT")]
    [InlineData("redis://127.0.0.1:6379/x", "database 'x'")]
    [InlineData("redis://127.0.0.1:6379/16", "database '16'")]
    [InlineData("redis://user:pw@127.0.0.1:6379", "only hold")]
    public void Parse_BadAddress_NamesTheProblem(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => ClusterConnection.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_RoundTrips() => Assert.Equal("redis://h:1/2", ClusterConnection.Parse("redis://h:1/2").ToString());
}
