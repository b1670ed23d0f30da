namespace Elastic.Training.Corpus;

/// <summary>The distinct text domains of the synthetic training corpus; each is meant to attract its own experts.</summary>
public enum CorpusDomain
{
    Arithmetic,
    English,
    Json,
    Code,
    Conlang,
}
