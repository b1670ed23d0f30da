namespace Elastic.Gateway.Destinations;

/// <summary>A worker the gateway may forward to: a stable id (the YARP destination id) and its base URL.</summary>
public sealed record WorkerEndpoint(string Id, Uri Address)
{
    /// <summary>An endpoint whose id is its normalised URL, which is stable as long as the worker keeps its address.</summary>
    public static WorkerEndpoint FromUrl(string url)
    {
        var uri = new Uri(url, UriKind.Absolute);
        return new WorkerEndpoint(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), uri);
    }
}
