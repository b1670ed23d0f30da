namespace Elastic.Cli.Tests;

/// <summary>Tests that start serving processes run one at a time: on two cores, two clusters at once starve each other.</summary>
[CollectionDefinition(Name)]
public sealed class ServingProcesses
{
    public const string Name = "Serving processes";
}
