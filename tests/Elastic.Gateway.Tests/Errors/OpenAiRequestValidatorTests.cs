using System.Text;
using Elastic.Gateway.Errors;

namespace Elastic.Gateway.Tests.Errors;

[Trait("Category", "Unit")]
public sealed class OpenAiRequestValidatorTests
{
    private readonly OpenAiRequestValidator _validator = new();

    [Theory]
    [InlineData(OpenAiOperation.ChatCompletions, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")]
    [InlineData(OpenAiOperation.Completions, "{\"model\":\"m\",\"prompt\":[1,2,3],\"max_tokens\":4}")]
    public void Validate_WellFormed_PassesThrough(OpenAiOperation operation, string body) =>
        Assert.Null(_validator.Validate(operation, Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData(OpenAiOperation.ChatCompletions, "{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", "messages[0].role")]
    [InlineData(OpenAiOperation.Completions, "{\"model\":\"m\",\"prompt\":\"x\",\"temperature\":7}", "temperature")]
    [InlineData(OpenAiOperation.Completions, "{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":\"ten\"}", "max_tokens")]
    public void Validate_BadField_Returns400NamingIt(OpenAiOperation operation, string body, string param)
    {
        var error = _validator.Validate(operation, Encoding.UTF8.GetBytes(body));

        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(param, error.Param);
    }

    [Fact]
    public void Validate_MalformedJson_Returns400()
    {
        var error = _validator.Validate(OpenAiOperation.ChatCompletions, "{\"model\": "u8);
        Assert.Equal(400, error!.StatusCode);
    }
}
