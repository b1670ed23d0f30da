using Microsoft.Extensions.Options;

namespace Elastic.Gateway.Configuration;

/// <summary>Checks <see cref="GatewayOptions"/> at start-up; every failure names the setting at fault.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    /// <summary>Throws <see cref="OptionsValidationException"/> listing every bad setting.</summary>
    public static void ThrowIfInvalid(GatewayOptions options)
    {
        var result = new GatewayOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(GatewayOptions), result.Failures);
        }
    }

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = GatewayOptions.SectionName;
        var failures = new List<string>();

        if (!IsHttpUrl(options.ListenUrl))
        {
            failures.Add($"{s}:{nameof(GatewayOptions.ListenUrl)} '{options.ListenUrl}' is not an absolute http:// or https:// URL.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key) || key.Any(char.IsWhiteSpace))
            {
                failures.Add($"{s}:{nameof(GatewayOptions.ApiKeys)}[{i}] is empty or contains whitespace.");
            }
            else if (!seen.Add(key))
            {
                failures.Add($"{s}:{nameof(GatewayOptions.ApiKeys)}[{i}] repeats an earlier key.");
            }
        }

        if (options.RequestsPerMinutePerKey < 0)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.RequestsPerMinutePerKey)} is {options.RequestsPerMinutePerKey}; use 0 for no limit or a positive rate.");
        }

        if (options.MaxRequestBodyBytes <= 0)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.MaxRequestBodyBytes)} must be positive (was {options.MaxRequestBodyBytes}).");
        }

        if (options.ActivityTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.ActivityTimeout)} must be positive (was {options.ActivityTimeout}).");
        }

        for (var i = 0; i < options.Workers.Count; i++)
        {
            if (!IsHttpUrl(options.Workers[i]))
            {
                failures.Add($"{s}:{nameof(GatewayOptions.Workers)}[{i}] '{options.Workers[i]}' is not an absolute http:// or https:// URL.");
            }
        }

        if (options.LoadPollInterval < TimeSpan.FromMilliseconds(10))
        {
            failures.Add($"{s}:{nameof(GatewayOptions.LoadPollInterval)} must be at least 10 ms (was {options.LoadPollInterval}).");
        }

        if (options.LoadPollTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.LoadPollTimeout)} must be positive (was {options.LoadPollTimeout}).");
        }

        if (options.DeadAfterFailedPolls < 1)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.DeadAfterFailedPolls)} must be at least 1 (was {options.DeadAfterFailedPolls}).");
        }

        if (options.FailedWorkerCooldown <= TimeSpan.Zero)
        {
            failures.Add($"{s}:{nameof(GatewayOptions.FailedWorkerCooldown)} must be positive (was {options.FailedWorkerCooldown}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
