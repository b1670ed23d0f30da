using System.Globalization;
using System.Text.Json;

namespace Elastic.Abstractions.OpenAi;

/// <summary>Typed reads of request fields that fail with OpenAI's wording and the field's path as <c>param</c>.</summary>
internal static class JsonFields
{
    /// <summary>Absent and explicit null are the same for optional fields, as in OpenAI's API.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public static JsonElement Required(JsonElement obj, string name, string path) =>
        TryGet(obj, name, out var value) ? value : throw Missing(path);

    public static string RequiredString(JsonElement obj, string name, string path)
    {
        var value = Required(obj, name, path);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(path, "a string", value);
    }

    public static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(path, "a string", value);
    }

    public static bool? OptionalBool(JsonElement obj, string name, string path)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(path, "a boolean", value),
        };
    }

    public static double? OptionalNumber(JsonElement obj, string name, string path, double min, double max, bool minExclusive = false)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            throw WrongType(path, "a number", value);
        }

        if (number < min || (minExclusive && number <= min))
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"number below minimum value. Expected a value {(minExclusive ? ">" : ">=")} {min}, but got {value.GetRawText()} instead."));
        }

        if (number > max)
        {
            throw Invalid(path, string.Create(CultureInfo.InvariantCulture,
                $"number above maximum value. Expected a value <= {max}, but got {value.GetRawText()} instead."));
        }

        return number;
    }

    public static int? OptionalInt(JsonElement obj, string name, string path, int min, int max) =>
        TryGet(obj, name, out var value) ? (int)Integer(value, path, min, max) : null;

    public static long? OptionalLong(JsonElement obj, string name, string path) =>
        TryGet(obj, name, out var value) ? Integer(value, path, long.MinValue, long.MaxValue) : null;

    /// <summary>An integer in [min, max]; 3.0 counts as an integer, 3.5 does not.</summary>
    public static long Integer(JsonElement value, string path, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(path, "an integer", value);
        }

        long integer;
        if (!value.TryGetInt64(out integer))
        {
            var number = value.GetDouble();
            if (number != Math.Floor(number) || !double.IsFinite(number))
            {
                throw WrongType(path, "an integer", value);
            }

            if (number < min || number > max)
            {
                throw OutOfRange(path, min, max, value);
            }

            integer = (long)number;
        }

        return integer < min || integer > max ? throw OutOfRange(path, min, max, value) : integer;
    }

    public static JsonElement.ArrayEnumerator Array(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw WrongType(path, "an array", value);

    public static OpenAiRequestException Missing(string path) =>
        new(OpenAiError.InvalidRequest($"Missing required parameter: '{path}'.", path));

    public static OpenAiRequestException Invalid(string path, string problem) =>
        new(OpenAiError.InvalidRequest($"Invalid '{path}': {problem}", path));

    public static OpenAiRequestException WrongType(string path, string expected, JsonElement got) =>
        new(OpenAiError.InvalidRequest($"Invalid type for '{path}': expected {expected}, but got {Describe(got)} instead.", path));

    private static OpenAiRequestException OutOfRange(string path, long min, long max, JsonElement got)
    {
        var bounds = (min, max) switch
        {
            (long.MinValue, _) => string.Create(CultureInfo.InvariantCulture, $"<= {max}"),
            (_, long.MaxValue) or (_, int.MaxValue) => string.Create(CultureInfo.InvariantCulture, $">= {min}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"between {min} and {max}"),
        };
        return Invalid(path, $"integer out of range. Expected a value {bounds}, but got {got.GetRawText()} instead.");
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "an integer" : "a decimal",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
