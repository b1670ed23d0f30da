namespace Elastic.Training.Corpus;

/// <summary>Which side of the train/held-out split a generator serves; only 2-digit additions are partitioned.</summary>
public enum CorpusSplit
{
    Train,
    HeldOut,
}
