using Elastic.Abstractions.OpenAi;
using Microsoft.AspNetCore.Http;

namespace Elastic.Worker.Api;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{model}</c>: the one model this backend serves.</summary>
internal static class ModelsEndpoint
{
    public static Task ListAsync(ApiRequest api) =>
        api.WriteJsonAsync(new ModelList { Data = [Card(api.Backend)] }, OpenAiJsonContext.Default.ModelList);

    public static Task GetAsync(ApiRequest api)
    {
        var model = api.Http.GetRouteValue("model") as string ?? "";
        return model == api.Backend.ModelName
            ? api.WriteJsonAsync(Card(api.Backend), OpenAiJsonContext.Default.ModelCard)
            : api.WriteErrorAsync(OpenAiError.ModelNotFound(model));
    }

    private static ModelCard Card(IGenerationBackend backend) =>
        new() { Id = backend.ModelName, Created = backend.CreatedUnixSeconds, MaxModelLen = backend.MaxModelLength };
}
