namespace Elastic.Cli.Bench.Serve;

/// <summary>Everything one <c>elastic bench serve</c> run needs; checked by <see cref="Validate"/> before anything is sent.</summary>
internal sealed record ServeBenchSettings(
    Uri BaseUrl,
    string Model,
    int NumPrompts,
    int InputLength,
    int OutputLength,
    double RangeRatio,
    double RequestRate,
    double Burstiness,
    int? MaxConcurrency,
    int Seed,
    PromptMode PromptMode,
    int VocabularySize,
    bool IgnoreEos,
    string? ApiKey,
    GoodputSlo Goodput,
    TimeSpan RequestTimeout,
    int NumWarmups = 0)
{
    public void Validate()
    {
        if (NumPrompts <= 0 || InputLength <= 0 || OutputLength <= 0)
        {
            throw new ArgumentException("--num-prompts, --input-len and --output-len must be positive");
        }

        if (RangeRatio is < 0 or >= 1)
        {
            throw new ArgumentException("--range-ratio must be in [0, 1)");
        }

        if (!(RequestRate > 0) || !(Burstiness > 0) || double.IsInfinity(Burstiness))
        {
            throw new ArgumentException("--request-rate and --burstiness must be positive (--request-rate inf sends every request at once)");
        }

        if (NumWarmups < 0)
        {
            throw new ArgumentException("--num-warmups must be 0 or more");
        }

        if (MaxConcurrency is <= 0)
        {
            throw new ArgumentException("--max-concurrency must be positive");
        }

        if (VocabularySize <= 0)
        {
            throw new ArgumentException("--vocab-size must be positive");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("--timeout must be positive");
        }

        if (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"--base-url '{BaseUrl}' must be http:// or https://");
        }
    }
}
