using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>Templated English sentences with number, person and article agreement.</summary>
internal sealed class EnglishDomain(CorpusRandom rng)
{
    // (singular, plural)
    internal static readonly (string One, string Many)[] People =
    [
        ("farmer", "farmers"), ("baker", "bakers"), ("sailor", "sailors"), ("teacher", "teachers"),
        ("child", "children"), ("woman", "women"), ("fisherman", "fishermen"), ("doctor", "doctors"),
        ("painter", "painters"), ("merchant", "merchants"), ("student", "students"), ("soldier", "soldiers"),
        ("gardener", "gardeners"), ("traveler", "travelers"), ("neighbor", "neighbors"), ("miller", "millers"),
        ("weaver", "weavers"), ("shepherd", "shepherds"), ("carpenter", "carpenters"), ("nurse", "nurses"),
    ];

    internal static readonly (string One, string Many)[] Things =
    [
        ("basket", "baskets"), ("letter", "letters"), ("apple", "apples"), ("box", "boxes"),
        ("chair", "chairs"), ("boat", "boats"), ("lamp", "lamps"), ("loaf", "loaves"),
        ("bottle", "bottles"), ("book", "books"), ("coat", "coats"), ("window", "windows"),
        ("cart", "carts"), ("candle", "candles"), ("blanket", "blankets"), ("egg", "eggs"),
        ("onion", "onions"), ("umbrella", "umbrellas"), ("hammer", "hammers"), ("ladder", "ladders"),
    ];

    // (base, third person singular, past)
    internal static readonly (string Base, string Third, string Past)[] TransitiveVerbs =
    [
        ("carry", "carries", "carried"), ("bring", "brings", "brought"), ("sell", "sells", "sold"),
        ("paint", "paints", "painted"), ("find", "finds", "found"), ("build", "builds", "built"),
        ("wash", "washes", "washed"), ("move", "moves", "moved"), ("watch", "watches", "watched"),
        ("fix", "fixes", "fixed"), ("buy", "buys", "bought"), ("count", "counts", "counted"),
        ("hide", "hides", "hid"), ("lift", "lifts", "lifted"), ("mend", "mends", "mended"),
    ];

    // Verbs that make sense with "to the {place}"; the others only appear with "in"/"near" or no place.
    internal static readonly (string Base, string Third, string Past)[] MotionVerbs =
    [
        ("carry", "carries", "carried"), ("bring", "brings", "brought"), ("sell", "sells", "sold"),
        ("move", "moves", "moved"), ("send", "sends", "sent"), ("take", "takes", "took"), ("drag", "drags", "dragged"),
    ];

    internal static readonly (string Base, string Third, string Past)[] IntransitiveVerbs =
    [
        ("sleep", "sleeps", "slept"), ("sing", "sings", "sang"), ("wait", "waits", "waited"),
        ("walk", "walks", "walked"), ("rest", "rests", "rested"), ("work", "works", "worked"),
        ("laugh", "laughs", "laughed"), ("pray", "prays", "prayed"), ("dance", "dances", "danced"),
    ];

    // Chosen so that the a/an rule by first letter is always right (no "honest", no "useful").
    internal static readonly string[] PersonAdjectives =
    [
        "quiet", "old", "young", "tired", "clever", "brave", "careful", "cheerful", "patient", "busy",
        "gentle", "proud", "curious", "eager", "lonely", "happy", "angry", "idle",
    ];

    internal static readonly string[] ThingAdjectives =
    [
        "heavy", "small", "wooden", "red", "new", "broken", "fresh", "empty", "large", "old",
        "green", "iron", "ancient", "clean", "open",
    ];

    internal static readonly string[] PlaceAdjectives =
    [
        "quiet", "busy", "empty", "crowded", "cold", "dark", "closed", "noisy", "flooded",
    ];

    internal static readonly string[] Places =
    [
        "market", "harbor", "village", "bridge", "garden", "river", "library", "station", "kitchen",
        "square", "school", "forest", "mill", "chapel", "orchard", "inn",
    ];

    internal static readonly string[] PastTimes =
    [
        "at dawn", "at noon", "at night", "in the morning", "in the evening", "on Sunday", "after supper",
        "before sunrise", "last winter", "yesterday",
    ];

    internal static readonly string[] HabitualTimes =
    [
        "every morning", "every evening", "every Sunday", "on most days", "in the spring", "after supper",
        "before dawn", "at noon",
    ];

    internal static readonly string[] Names =
    [
        "Anna", "Tom", "Peter", "Clara", "Martin", "Lucy", "Henry", "Ellen", "Oscar", "Rose", "Walter", "Greta",
    ];

    internal static readonly string[] Adverbs = ["slowly", "quickly", "carefully", "quietly", "happily", "alone"];

    internal static readonly string[] Numbers =
    [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    ];

    // Function words used by the templates, kept here so the vocabulary check sees every English token.
    internal static readonly string[] FunctionWords =
    [
        "the", "a", "an", "to", "near", "in", "and", "because", "was", "were", "did", "does", "do", "not",
        "will", "tomorrow", "why", "where", "when", "then", "while", "with", "for",
    ];

    public string Next()
    {
        var sb = new StringBuilder(96);
        switch (rng.Next(8))
        {
            case 0:
            case 1:
                // The quiet farmer carried three baskets to the market at dawn.
                AppendPerson(sb, plural: rng.Chance(30), withAdjective: true);
                sb.Append(' ').Append(rng.Pick(MotionVerbs).Past).Append(' ');
                AppendCounted(sb);
                sb.Append(" to the ").Append(rng.Pick(Places)).Append(' ').Append(rng.Pick(PastTimes)).Append('.');
                break;
            case 2:
                {
                    // Every morning, the old bakers sell a fresh loaf in the square.
                    var plural = rng.Chance(50);
                    sb.Append(rng.Pick(HabitualTimes)).Append(", ");
                    AppendPerson(sb, plural, withAdjective: rng.Chance(50));
                    var verb = rng.Pick(TransitiveVerbs);
                    sb.Append(' ').Append(plural ? verb.Base : verb.Third).Append(' ');
                    AppendThingWithArticle(sb);
                    sb.Append(" in the ").Append(rng.Pick(Places)).Append('.');
                    break;
                }

            case 3:
                // Clara walked slowly near the river.
                sb.Append(rng.Pick(Names)).Append(' ').Append(rng.Pick(IntransitiveVerbs).Past).Append(' ')
                    .Append(rng.Pick(Adverbs)).Append(" near the ").Append(rng.Pick(Places)).Append('.');
                break;
            case 4:
                {
                    // Does the tired nurse wash the red coats at night?
                    var plural = rng.Chance(40);
                    sb.Append(plural ? "do " : "does ");
                    AppendPerson(sb, plural, withAdjective: rng.Chance(50));
                    sb.Append(' ').Append(rng.Pick(TransitiveVerbs).Base).Append(" the ");
                    AppendThing(sb, plural: rng.Chance(50), withAdjective: rng.Chance(50));
                    sb.Append(' ').Append(rng.Pick(HabitualTimes)).Append('?');
                    break;
                }

            case 5:
                // Tom and Rose moved the broken cart because the village was quiet.
                sb.Append(rng.Pick(Names)).Append(" and ").Append(rng.Pick(Names)).Append(' ')
                    .Append(rng.Pick(TransitiveVerbs).Past).Append(" the ");
                AppendThing(sb, plural: rng.Chance(40), withAdjective: true);
                sb.Append(" because the ").Append(rng.Pick(Places)).Append(" was ").Append(rng.Pick(PlaceAdjectives)).Append('.');
                break;
            case 6:
                // The sailors did not sell the eggs yesterday.
                AppendPerson(sb, plural: rng.Chance(50), withAdjective: rng.Chance(40));
                sb.Append(" did not ").Append(rng.Pick(TransitiveVerbs).Base).Append(" the ");
                AppendThing(sb, plural: rng.Chance(60), withAdjective: rng.Chance(40));
                sb.Append(' ').Append(rng.Pick(PastTimes)).Append('.');
                break;
            default:
                // Tomorrow the children will bring five ladders to the inn.
                sb.Append("tomorrow ");
                AppendPerson(sb, plural: rng.Chance(50), withAdjective: rng.Chance(40));
                sb.Append(" will ").Append(rng.Pick(MotionVerbs).Base).Append(' ');
                AppendCounted(sb);
                sb.Append(" to the ").Append(rng.Pick(Places)).Append('.');
                break;
        }

        sb[0] = char.ToUpperInvariant(sb[0]);
        return sb.ToString();
    }

    private void AppendPerson(StringBuilder sb, bool plural, bool withAdjective)
    {
        sb.Append("the ");
        if (withAdjective)
        {
            sb.Append(rng.Pick(PersonAdjectives)).Append(' ');
        }

        var person = rng.Pick(People);
        sb.Append(plural ? person.Many : person.One);
    }

    private void AppendThing(StringBuilder sb, bool plural, bool withAdjective)
    {
        if (withAdjective)
        {
            sb.Append(rng.Pick(ThingAdjectives)).Append(' ');
        }

        var thing = rng.Pick(Things);
        sb.Append(plural ? thing.Many : thing.One);
    }

    private void AppendThingWithArticle(StringBuilder sb)
    {
        var adjective = rng.Chance(60) ? rng.Pick(ThingAdjectives) : null;
        var noun = rng.Pick(Things).One;
        var next = adjective ?? noun;
        sb.Append(StartsWithVowel(next) ? "an " : "a ");
        if (adjective is not null)
        {
            sb.Append(adjective).Append(' ');
        }

        sb.Append(noun);
    }

    private void AppendCounted(StringBuilder sb)
    {
        var n = rng.Next(Numbers.Length);
        sb.Append(Numbers[n]).Append(' ');
        AppendThing(sb, plural: n > 0, withAdjective: rng.Chance(30));
    }

    // Good enough for the fixed word lists above, which avoid silent h and "you"-sounding u.
    private static bool StartsWithVowel(string word) => word[0] is 'a' or 'e' or 'i' or 'o' or 'u';
}
