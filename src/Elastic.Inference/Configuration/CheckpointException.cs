namespace Elastic.Inference.Configuration;

/// <summary>A checkpoint cannot be used; the message names the file and, where known, the tensor.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string file, string? tensor, string problem)
        : base(tensor is null ? $"{file}: {problem}" : $"{file}: tensor '{tensor}': {problem}")
    {
        File = file;
        Tensor = tensor;
    }

    public CheckpointException(string file, string? tensor, string problem, Exception inner)
        : base(tensor is null ? $"{file}: {problem}" : $"{file}: tensor '{tensor}': {problem}", inner)
    {
        File = file;
        Tensor = tensor;
    }

    /// <summary>The checkpoint file at fault.</summary>
    public string File { get; }

    /// <summary>The tensor at fault, or null when the problem is the file itself.</summary>
    public string? Tensor { get; }
}
