using Elastic.Abstractions.Grains;
using Elastic.Worker.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Elastic.Worker.Tests.Grains;

[Trait("Category", "Unit")]
public sealed class WorkerOptionsValidatorTests
{
    private readonly WorkerOptionsValidator _validator = new();

    [Fact]
    public void Validate_DecodeRoleWithoutModelDirectory_NamesModelDirectory()
    {
        var result = _validator.Validate(null, new WorkerOptions { Role = WorkerRole.Decode });

        Assert.True(result.Failed);
        Assert.Contains("Worker:ModelDirectory", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ExpertOnlyWorker_NeedsNoModelDirectory()
    {
        var result = _validator.Validate(null, new WorkerOptions { Role = WorkerRole.Expert });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(nameof(WorkerOptions.Threads))]
    [InlineData(nameof(WorkerOptions.KvCacheBytes))]
    [InlineData(nameof(WorkerOptions.MaxBatchedTokens))]
    [InlineData(nameof(WorkerOptions.Role))]
    [InlineData(nameof(WorkerOptions.ExpertShards))]
    [InlineData(nameof(WorkerOptions.Prefill))]
    [InlineData(nameof(WorkerOptions.EngineNice))]
    public void Validate_BadSetting_MessageNamesIt(string setting)
    {
        var options = new WorkerOptions { Role = WorkerRole.Expert };
        switch (setting)
        {
            case nameof(WorkerOptions.Threads): options.Threads = 0; break;
            case nameof(WorkerOptions.KvCacheBytes): options.KvCacheBytes = 0; break;
            case nameof(WorkerOptions.MaxBatchedTokens): options.MaxBatchedTokens = -1; break;
            case nameof(WorkerOptions.Role): options.Role = WorkerRole.None; break;
            case nameof(WorkerOptions.ExpertShards): options.ExpertShards = 0; break;
            case nameof(WorkerOptions.Prefill): options.Prefill = (PrefillMode)42; break;
            case nameof(WorkerOptions.EngineNice): options.EngineNice = -21; break;
        }

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith($"Worker:{setting}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WithBadSetting_FailsBeforeServingNamingIt()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddElasticWorker(new WorkerOptions { Role = WorkerRole.Expert, KvCacheBytes = 0 });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Worker:KvCacheBytes", error.Message, StringComparison.Ordinal);
    }
}
