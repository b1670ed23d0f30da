using Elastic.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Elastic.Gateway.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class GatewayOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValid_WithTenMinuteActivityTimeout()
    {
        var options = new GatewayOptions();

        GatewayOptionsValidator.ThrowIfInvalid(options);
        Assert.Equal(TimeSpan.FromMinutes(10), options.ActivityTimeout);
        Assert.Empty(options.ApiKeys);
    }

    [Fact]
    public void BadSettings_FailAtBuild_NamingEachSetting()
    {
        var options = new GatewayOptions
        {
            ListenUrl = "localhost:8080",
            RequestsPerMinutePerKey = -1,
            MaxRequestBodyBytes = 0,
            ActivityTimeout = TimeSpan.Zero,
        };
        options.Workers.Add("http://ok:1");
        options.Workers.Add("not a url");
        options.ApiKeys.Add("dup");
        options.ApiKeys.Add("dup");
        options.ApiKeys.Add(" ");

        var ex = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build(options));

        Assert.Contains(ex.Failures, f => f.Contains("Gateway:ListenUrl", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:RequestsPerMinutePerKey", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:MaxRequestBodyBytes", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:ActivityTimeout", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:Workers[1]", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:ApiKeys[1] repeats", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Gateway:ApiKeys[2]", StringComparison.Ordinal));
        Assert.DoesNotContain(ex.Failures, f => f.Contains("Workers[0]", StringComparison.Ordinal));
    }
}
