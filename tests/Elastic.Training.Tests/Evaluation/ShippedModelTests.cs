using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Sampling;
using Elastic.Training.Corpus;

namespace Elastic.Training.Tests.Evaluation;

[Trait("Category", "Integration")]
public sealed class ShippedModelTests
{
    /// <summary>The model committed under models/, found from the test's output folder.</summary>
    internal static string ShippedModelDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "elastic-moe-tiny");
            if (File.Exists(Path.Combine(candidate, "config.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("models/elastic-moe-tiny not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task ShippedModel_LoadsAndAnswersHeldOutAdditions()
    {
        using var served = ServedModel.Load(ShippedModelDirectory());
        await using var loop = new EngineLoop(served.CreateEngine(new EngineOptions { KvCacheBytes = 64L << 20 }));
        var generator = new TextGenerator(served, loop);
        // Every 25th held-out pair: spread over the whole range of operands, not just the 10+x corner.
        var pairs = ArithmeticProblems.HeldOutAdditionPairs().Where((_, i) => i % 25 == 0).ToList();

        var correct = 0;
        foreach (var (a, b) in pairs)
        {
            var text = "";
            await foreach (var update in generator.GenerateAsync(served.Tokenizer.Encode(ArithmeticProblems.ArithmeticPrompt(a, b), true), new SamplingParams { Temperature = 0, MaxTokens = 5, Stop = ["\n"] }))
            {
                text += update.Text;
            }

            correct += text.Trim() == (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture) ? 1 : 0;
        }

        Assert.True(correct >= 0.9 * pairs.Count, $"{correct}/{pairs.Count} held-out additions right");
    }

    [Fact]
    public void ShippedModel_IsHuggingFaceLayoutWithinSizeBudget()
    {
        var dir = ShippedModelDirectory();
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
        {
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");
        }

        var bytes = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
        Assert.True(bytes <= 25_000_000, $"{bytes} bytes");
    }
}
