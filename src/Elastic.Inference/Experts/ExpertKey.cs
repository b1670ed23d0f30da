namespace Elastic.Inference.Experts;

/// <summary>Identifies one routed expert: the unit that is placed, moved and replicated.</summary>
public readonly record struct ExpertKey(int Layer, int Expert)
{
    public override string ToString() => $"L{Layer}E{Expert}";
}
