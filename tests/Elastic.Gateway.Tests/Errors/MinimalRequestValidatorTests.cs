using System.Text;
using Elastic.Gateway.Errors;

namespace Elastic.Gateway.Tests.Errors;

[Trait("Category", "Unit")]
public sealed class MinimalRequestValidatorTests
{
    private readonly MinimalRequestValidator _validator = new();

    [Theory]
    [InlineData(OpenAiOperation.Completions, """{"model":"m","prompt":"hi"}""")]
    [InlineData(OpenAiOperation.Completions, """{"model":"m","prompt":[1,2,3]}""")]
    [InlineData(OpenAiOperation.ChatCompletions, """{"model":"m","messages":[{"role":"user","content":"hi"}]}""")]
    public void WellFormedBody_Passes(OpenAiOperation operation, string json) =>
        Assert.Null(_validator.Validate(operation, Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData(OpenAiOperation.Completions, """{"model":"m","prompt":"hi""", null, null)]
    [InlineData(OpenAiOperation.Completions, """{"model":"m","prompt":"hi"} trailing""", null, null)]
    [InlineData(OpenAiOperation.Completions, """{"prompt":"hi"}""", null, null)]
    [InlineData(OpenAiOperation.Completions, """{"model":7,"prompt":"hi"}""", "model", "invalid_type")]
    [InlineData(OpenAiOperation.Completions, """{"model":"m"}""", "prompt", "missing_required_parameter")]
    [InlineData(OpenAiOperation.Completions, """{"model":"m","prompt":5}""", "prompt", "invalid_type")]
    [InlineData(OpenAiOperation.ChatCompletions, """{"model":"m"}""", "messages", "missing_required_parameter")]
    [InlineData(OpenAiOperation.ChatCompletions, """{"model":"m","messages":"hi"}""", "messages", "invalid_type")]
    public void BadBody_Is400_NamingTheParameter(OpenAiOperation operation, string json, string? param, string? code)
    {
        var error = _validator.Validate(operation, Encoding.UTF8.GetBytes(json));

        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(OpenAiError.InvalidRequest, error.Type);
        Assert.Equal(param, error.Param);
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void ErrorJson_HasOpenAiShapeWithExplicitNulls()
    {
        var json = Encoding.UTF8.GetString(OpenAiError.MalformedJson().ToJsonBytes());

        Assert.StartsWith("""{"error":{"message":""", json, StringComparison.Ordinal);
        Assert.EndsWith(""","type":"invalid_request_error","param":null,"code":null}}""", json, StringComparison.Ordinal);
    }
}
