using System.Text;

namespace Elastic.Training.Corpus;

/// <summary>
/// Sentences in a made-up SOV language: CV(C) syllables from a closed inventory, case particles after the
/// noun phrase, adjectives after the noun, and a verb tense suffix that agrees with the leading time word.
/// </summary>
/// <remarks>The rules are strict and lexical overlap with English is nil, so a router has an easy signal.</remarks>
internal sealed class ConlangDomain(CorpusRandom rng)
{
    // Word shapes are built from these; only the letters below ever appear in the domain.
    internal const string Onsets = "ptkmnslrvz";
    internal const string Vowels = "aeiou";
    internal const string Codas = "nkrs";

    internal static readonly string[] Nouns =
    [
        "vela", "toru", "sarak", "lumo", "kiren", "nasu", "pelin", "morak", "tesik", "nura", "sevi", "korak",
        "ramu", "zelo", "pakin", "timo", "lasen", "vuro", "mesak", "renu", "silar", "napo", "kovin", "zuri",
        "tamek", "pilu", "rosek", "muri",
    ];

    // Nouns that read naturally with the locative particle.
    internal static readonly string[] Places = ["lumo", "toru", "korak", "lasen", "tesik", "silar", "vuro"];

    internal static readonly string[] TransitiveVerbs =
    [
        "miru", "sato", "kelan", "vorek", "tani", "pusa", "lemor", "rika", "zunu", "seka", "nolir", "vitek",
    ];

    internal static readonly string[] IntransitiveVerbs = ["suli", "kavo", "neri", "tomas", "remi"];

    internal static readonly string[] Adjectives =
    [
        "zeri", "mokan", "tuvi", "larek", "sunok", "pira", "nemis", "kotu", "ravin", "lisu",
    ];

    // One to eight; a count above one puts the plural suffix on the noun.
    internal static readonly string[] Numerals = ["miko", "tavi", "resu", "kalo", "pumi", "senu", "lirak", "voka"];

    // (time word, tense suffix): the suffix must agree with the time word, which gives the model a
    // long-range dependency to learn inside a single short line.
    internal static readonly (string Word, string Suffix)[] Times =
    [
        ("nakari", "ne"), ("torasi", "ne"), ("molen", string.Empty), ("sena", string.Empty), ("varu", "so"), ("perun", "so"),
    ];

    internal const string ObjectParticle = "ke";
    internal const string LocativeParticle = "ro";
    internal const string Conjunction = "na";
    internal const string Negation = "vo";
    internal const string QuestionParticle = "pa";
    internal const string Copula = "sen";
    internal const string PluralSuffix = "ri";

    internal static readonly string[] Particles = [ObjectParticle, LocativeParticle, Conjunction, Negation, QuestionParticle, Copula];

    public string Next()
    {
        var sb = new StringBuilder(80);
        var (time, suffix) = rng.Pick(Times);
        switch (rng.Next(6))
        {
            case 0:
            case 1:
            case 2:
                // [time] subject object ke [place ro] [vo] verb-tense (. | pa?)
                sb.Append(time).Append(' ');
                NounPhrase(sb, allowNumber: false);
                sb.Append(' ');
                NounPhrase(sb, allowNumber: true);
                sb.Append(' ').Append(ObjectParticle).Append(' ');
                if (rng.Chance(50))
                {
                    sb.Append(rng.Pick(Places)).Append(' ').Append(LocativeParticle).Append(' ');
                }

                Verb(sb, rng.Pick(TransitiveVerbs), suffix);
                End(sb);
                break;
            case 3:
                // [time] subject [place ro] [vo] intransitive-tense
                sb.Append(time).Append(' ');
                NounPhrase(sb, allowNumber: true);
                sb.Append(' ');
                if (rng.Chance(70))
                {
                    sb.Append(rng.Pick(Places)).Append(' ').Append(LocativeParticle).Append(' ');
                }

                Verb(sb, rng.Pick(IntransitiveVerbs), suffix);
                End(sb);
                break;
            case 4:
                // subject adjective [vo] sen: the copula takes no tense.
                sb.Append(rng.Pick(Nouns)).Append(' ').Append(rng.Pick(Adjectives)).Append(' ');
                if (rng.Chance(25))
                {
                    sb.Append(Negation).Append(' ');
                }

                sb.Append(Copula);
                End(sb);
                break;
            default:
                // [time] subject na subject object ke verb-tense
                sb.Append(time).Append(' ').Append(rng.Pick(Nouns)).Append(' ').Append(Conjunction).Append(' ')
                    .Append(rng.Pick(Nouns)).Append(' ');
                NounPhrase(sb, allowNumber: true);
                sb.Append(' ').Append(ObjectParticle).Append(' ');
                Verb(sb, rng.Pick(TransitiveVerbs), suffix);
                End(sb);
                break;
        }

        return sb.ToString();
    }

    private void NounPhrase(StringBuilder sb, bool allowNumber)
    {
        var count = allowNumber && rng.Chance(35) ? rng.Next(Numerals.Length) : -1;
        if (count >= 0)
        {
            sb.Append(Numerals[count]).Append(' ');
        }

        sb.Append(rng.Pick(Nouns));
        if (count > 0)
        {
            sb.Append(PluralSuffix);
        }

        if (rng.Chance(40))
        {
            sb.Append(' ').Append(rng.Pick(Adjectives));
        }
    }

    private void Verb(StringBuilder sb, string root, string suffix)
    {
        if (rng.Chance(15))
        {
            sb.Append(Negation).Append(' ');
        }

        sb.Append(root).Append(suffix);
    }

    private void End(StringBuilder sb)
    {
        if (rng.Chance(20))
        {
            sb.Append(' ').Append(QuestionParticle).Append('?');
        }
        else
        {
            sb.Append('.');
        }
    }
}
