namespace Elastic.Abstractions.OpenAi;

/// <summary>The classes of error the API reports, each with a fixed HTTP status and OpenAI error type.</summary>
public enum OpenAiErrorKind
{
    /// <summary>400: the body is malformed or a parameter is missing, mistyped or out of range.</summary>
    InvalidRequest,

    /// <summary>401: no or a wrong API key.</summary>
    Authentication,

    /// <summary>404: unknown model or route.</summary>
    NotFound,

    /// <summary>429: the caller exceeded its rate limit.</summary>
    RateLimit,

    /// <summary>500: a fault on our side; the message never carries internals.</summary>
    Server,

    /// <summary>503: the engine's queue is full or no worker can take the request; retry shortly.</summary>
    Overloaded,

    /// <summary>413: the request body is over the gateway's limit.</summary>
    PayloadTooLarge,

    /// <summary>502: a worker failed while handling the request.</summary>
    BadGateway,

    /// <summary>504: a worker stopped responding.</summary>
    GatewayTimeout,
}
