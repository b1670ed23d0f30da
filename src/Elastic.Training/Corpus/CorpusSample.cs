namespace Elastic.Training.Corpus;

/// <summary>One self-contained corpus line (no newline inside) tagged with the domain that produced it.</summary>
public sealed record CorpusSample(CorpusDomain Domain, string Text);
