using System.Globalization;
using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>One-line JSON records of three kinds (person, product, event) with shuffled optional fields.</summary>
/// <remarks>Every string value comes from a fixed ASCII vocabulary with nothing to escape, so validity holds by construction.</remarks>
internal sealed class JsonDomain(CorpusRandom rng)
{
    public const int MaxLength = CorpusGenerator.MaxSampleLength;

    private static readonly string[] FirstNames =
    [
        "Mara", "Jonas", "Ines", "Tariq", "Lena", "Bruno", "Aiko", "Sven", "Nadia", "Omar", "Petra", "Yusuf",
        "Greta", "Rafael", "Elif", "Hugo",
    ];

    private static readonly string[] Cities =
    [
        "Lisbon", "Oslo", "Krakow", "Nairobi", "Osaka", "Lima", "Tallinn", "Porto", "Quito", "Dublin", "Izmir",
        "Perth",
    ];

    private static readonly string[] Roles = ["admin", "editor", "viewer", "owner", "guest"];
    private static readonly string[] Categories = ["tools", "garden", "kitchen", "office", "toys", "audio"];
    private static readonly string[] Titles = ["lamp", "kettle", "drill", "stapler", "speaker", "rake", "mug", "cable"];
    private static readonly string[] Tags = ["new", "sale", "eco", "bulk", "gift", "rare", "beta", "vip"];
    private static readonly string[] Events = ["login", "logout", "upload", "purchase", "refund", "signup", "timeout"];
    private static readonly string[] Regions = ["eu-west", "us-east", "ap-south", "sa-east"];
    private static readonly string[] Currencies = ["EUR", "USD", "JPY", "GBP"];

    public string Next()
    {
        var (head, optional) = rng.Next(3) switch
        {
            0 => Person(),
            1 => Product(),
            _ => Event(),
        };

        rng.Shuffle(optional);
        var take = rng.Next(2, optional.Count + 1);

        var sb = new StringBuilder(MaxLength + 8);
        sb.Append('{').Append(head);
        for (var i = 0; i < take; i++)
        {
            // Fields are optional, so dropping the ones that would overflow keeps the record valid.
            if (sb.Length + 2 + optional[i].Length + 1 <= MaxLength)
            {
                sb.Append(", ").Append(optional[i]);
            }
        }

        return sb.Append('}').ToString();
    }

    private (string Head, List<string> Optional) Person()
    {
        var name = rng.Pick(FirstNames);
        var head = Field("id", Int(rng.Next(1, 1000)));
        List<string> optional =
        [
            Field("name", Str(name)),
            Field("city", Str(rng.Pick(Cities))),
            Field("age", Int(rng.Next(18, 90))),
            Field("active", Bool()),
            Field("score", Int(rng.Next(0, 101))),
            Field("role", Str(rng.Pick(Roles))),
        ];

        if (rng.Chance(25))
        {
            optional.Add(Field("address", "{" + Field("city", Str(rng.Pick(Cities))) + ", " + Field("zip", Str(Digits(5))) + "}"));
        }
        else if (rng.Chance(30))
        {
            optional.Add(Field("email", Str(name.ToLowerInvariant() + "@example.com")));
        }

        return (head, optional);
    }

    private (string Head, List<string> Optional) Product()
    {
        var sku = string.Create(CultureInfo.InvariantCulture, $"{(char)('A' + rng.Next(26))}{(char)('A' + rng.Next(26))}-{rng.Next(1000, 10000)}");
        var head = Field("sku", Str(sku));
        var price = string.Create(CultureInfo.InvariantCulture, $"{rng.Next(1, 500)}.{rng.Next(100):D2}");
        List<string> optional =
        [
            Field("title", Str(rng.Pick(Titles))),
            Field("price", price),
            Field("currency", Str(rng.Pick(Currencies))),
            Field("stock", Int(rng.Next(0, 250))),
            Field("category", Str(rng.Pick(Categories))),
        ];

        if (rng.Chance(40))
        {
            var count = rng.Next(0, 4);
            var tags = new StringBuilder("[");
            for (var i = 0; i < count; i++)
            {
                tags.Append(i == 0 ? string.Empty : ", ").Append(Str(rng.Pick(Tags)));
            }

            optional.Add(Field("tags", tags.Append(']').ToString()));
        }
        else if (rng.Chance(25))
        {
            optional.Add(Field("dims", "{" + Field("w", Int(rng.Next(1, 100))) + ", " + Field("h", Int(rng.Next(1, 100))) + "}"));
        }

        return (head, optional);
    }

    private (string Head, List<string> Optional) Event()
    {
        var head = Field("event", Str(rng.Pick(Events)));
        var at = string.Create(
            CultureInfo.InvariantCulture,
            $"2024-{rng.Next(1, 13):D2}-{rng.Next(1, 29):D2}T{rng.Next(24):D2}:{rng.Next(60):D2}:00Z");
        List<string> optional =
        [
            Field("user", Int(rng.Next(1, 5000))),
            Field("ok", Bool()),
            Field("ms", Int(rng.Next(1, 2000))),
            Field("at", Str(at)),
            Field("error", rng.Chance(70) ? "null" : Str("E" + Digits(3))),
        ];

        if (rng.Chance(30))
        {
            optional.Add(Field("meta", "{" + Field("region", Str(rng.Pick(Regions))) + ", " + Field("retry", Int(rng.Next(0, 4))) + "}"));
        }

        return (head, optional);
    }

    private string Bool() => rng.Chance(50) ? "true" : "false";

    private string Digits(int count)
    {
        var chars = new char[count];
        for (var i = 0; i < count; i++)
        {
            chars[i] = (char)('0' + rng.Next(10));
        }

        return new string(chars);
    }

    private static string Field(string key, string value) => "\"" + key + "\": " + value;

    private static string Str(string value) => "\"" + value + "\"";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
