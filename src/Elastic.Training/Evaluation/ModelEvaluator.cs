using System.Globalization;
using System.Text.Json;
using Elastic.Inference.Caching;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Inference.Sampling;
using Elastic.Training.Corpus;

namespace Elastic.Training.Evaluation;

/// <summary>Quality of the default model on held-out generated data.</summary>
public sealed record EvaluationReport(
    int AdditionProblems,
    double AdditionExactMatch,
    int JsonRecords,
    double JsonParseRate,
    IReadOnlyDictionary<string, double> Perplexity,
    IReadOnlyList<string> AdditionFailures,
    IReadOnlyList<string> JsonFailures);

/// <summary>
/// Runs the held-out checks through the serving engine itself (batched, greedy or seeded sampling):
/// 2-digit addition exact match, JSON records that parse, per-domain perplexity.
/// </summary>
public sealed class ModelEvaluator(ServedModel model)
{
    /// <summary>Seed of the held-out text; training uses other seeds.</summary>
    public const int HeldOutSeed = 977;

    public EvaluationReport Evaluate(int jsonRecords = 200, int perplexitySamples = 200, Action<string, double>? progress = null)
    {
        var (additions, additionFailures) = Additions(progress);
        var (jsonRate, jsonFailures) = Json(jsonRecords, progress);
        var perplexity = Perplexity(perplexitySamples, progress);
        return new EvaluationReport(ArithmeticProblems.HeldOutAdditionPairs().Count, additions, jsonRecords, jsonRate, perplexity, additionFailures, jsonFailures);
    }

    /// <summary>Greedy answers to every held-out 2-digit addition, compared exactly.</summary>
    public (double ExactMatch, IReadOnlyList<string> Failures) Additions(Action<string, double>? progress = null)
    {
        var pairs = ArithmeticProblems.HeldOutAdditionPairs();
        var sampling = new SamplingParams { Temperature = 0, MaxTokens = 5 };
        var answers = GenerateAll(pairs.Select(p => ArithmeticProblems.ArithmeticPrompt(p.A, p.B)).ToList(), _ => sampling, f => progress?.Invoke("addition", f));
        var failures = new List<string>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var expected = (pairs[i].A + pairs[i].B).ToString(CultureInfo.InvariantCulture);
            if (answers[i].Trim() != expected)
            {
                failures.Add($"{ArithmeticProblems.ArithmeticPrompt(pairs[i].A, pairs[i].B)}{answers[i].Trim()} (expected {expected})");
            }
        }

        return (1 - ((double)failures.Count / pairs.Count), failures);
    }

    /// <summary>Seeded samples started with <c>{"</c>; a record counts if the text up to the end of the line parses as a JSON object.</summary>
    public (double ParseRate, IReadOnlyList<string> Failures) Json(int records, Action<string, double>? progress = null)
    {
        var prompts = Enumerable.Repeat("{\"", records).ToList();
        var outputs = GenerateAll(prompts, i => new SamplingParams { Temperature = 0.8f, Seed = 1000 + i, MaxTokens = 80 }, f => progress?.Invoke("json", f));
        var failures = new List<string>();
        foreach (var output in outputs)
        {
            var record = "{\"" + output;
            try
            {
                using var doc = JsonDocument.Parse(record);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    failures.Add(record);
                }
            }
            catch (JsonException)
            {
                failures.Add(record);
            }
        }

        return (1 - ((double)failures.Count / records), failures);
    }

    /// <summary>exp(mean negative log-likelihood) of held-out samples of each domain, each scored as a fresh document.</summary>
    public IReadOnlyDictionary<string, double> Perplexity(int samplesPerDomain, Action<string, double>? progress = null)
    {
        var generator = new CorpusGenerator(HeldOutSeed, CorpusSplit.HeldOut);
        var transformer = model.Model.Transformer;
        var result = new Dictionary<string, double>();
        var domains = Enum.GetValues<CorpusDomain>();
        var eos = model.Tokenizer.EosTokenId ?? throw new InvalidOperationException("the model has no end-of-sequence token");
        var caches = new KvCacheManager(model.Config, 256L << 20);
        for (var d = 0; d < domains.Length; d++)
        {
            double nll = 0;
            long count = 0;
            for (var s = 0; s < samplesPerDomain; s++)
            {
                var text = generator.Next(domains[d]).Text;
                int[] tokens = [eos, .. model.Tokenizer.Encode(text, addSpecialTokens: false), eos];
                using var cache = caches.TryAllocate(tokens.Length)!;
                var logits = transformer.Forward([new ForwardChunk(s, cache, tokens[..^1], LogitsWanted.AllTokens)], model.Model.Experts)[0];
                var vocab = model.Config.VocabSize;
                for (var t = 0; t < tokens.Length - 1; t++)
                {
                    var row = logits.AsSpan(t * vocab, vocab);
                    nll += Sampler.LogSumExp(row) - row[tokens[t + 1]];
                    count++;
                }

                progress?.Invoke($"perplexity {domains[d].ToString().ToLowerInvariant()}", (d + ((double)s / samplesPerDomain)) / domains.Length);
            }

            result[domains[d].ToString().ToLowerInvariant()] = Math.Exp(nll / count);
        }

        return result;
    }

    private List<string> GenerateAll(List<string> prompts, Func<int, SamplingParams> sampling, Action<double>? progress)
    {
        using var engine = model.CreateEngine(new EngineOptions { KvCacheBytes = 256L << 20, MaxRunningSequences = 64, MaxWaitingSequences = prompts.Count });
        var detokenizers = new Dictionary<long, (int Index, List<int> Tokens)>();
        for (var i = 0; i < prompts.Count; i++)
        {
            var id = engine.Submit(new GenerationRequest(model.Tokenizer.Encode(prompts[i], addSpecialTokens: true), sampling(i)));
            detokenizers[id] = (i, []);
        }

        var texts = new string[prompts.Count];
        var done = 0;
        while (engine.HasWork)
        {
            foreach (var output in engine.Step())
            {
                var (index, tokens) = detokenizers[output.SequenceId];
                if (output.Token is { } token && !model.EosTokenIds.Contains(token.TokenId))
                {
                    tokens.Add(token.TokenId);
                }

                if (output.IsFinished)
                {
                    var text = model.Tokenizer.Decode(tokens, skipSpecialTokens: true);
                    var newline = text.IndexOf('\n', StringComparison.Ordinal);
                    texts[index] = newline >= 0 ? text[..newline] : text;
                    progress?.Invoke((double)++done / prompts.Count);
                }
            }
        }

        return [.. texts];
    }
}
