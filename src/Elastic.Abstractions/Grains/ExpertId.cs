namespace Elastic.Abstractions.Grains;

/// <summary>One routed expert of a model: the unit that is placed, moved and replicated across shards.</summary>
[GenerateSerializer, Immutable, Alias("elastic.ExpertId")]
public readonly record struct ExpertId([property: Id(0)] int Layer, [property: Id(1)] int Expert)
{
    public override string ToString() => $"L{Layer}E{Expert}";
}
