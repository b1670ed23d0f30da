using System.CommandLine;
using System.Diagnostics;
using Elastic.Inference.Chat;
using Elastic.Inference.Engine;
using Elastic.Inference.Generation;
using Elastic.Inference.Modeling;
using Elastic.Inference.Sampling;
using Microsoft.Extensions.Logging;

namespace Elastic.Cli.Generate;

/// <summary><c>elastic generate</c>: stream a completion (or a chat reply) from a checkpoint to the terminal.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt (or the user message with --chat)", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Treat --prompt as a user message and apply the checkpoint's chat template" };
        var system = new Option<string?>("--system") { Description = "System message for --chat" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<float>("--temperature", "-t") { Description = "0 for greedy", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f, Description = "Nucleus sampling mass" };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0, Description = "Keep the k most likely tokens (0: all)" };
        var seed = new Option<long?>("--seed") { Description = "Seed for reproducible sampling" };
        var stop = new Option<string[]>("--stop") { Description = "Stop strings", AllowMultipleArgumentsPerToken = true };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating past end-of-sequence tokens (fixed-length runs for measurements)" };
        var threads = CliOptions.Threads();

        var command = new Command("generate", "Generate text from a Hugging Face MoE checkpoint (mixtral, qwen3_moe, olmoe, qwen2_moe)")
        {
            model, prompt, chat, system, maxTokens, temperature, topP, topK, seed, stop, ignoreEos, threads,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TorchRuntime.Configure(parse.GetValue(threads));
            using var loggers = CliLogging.Create();
            var logger = loggers.CreateLogger("elastic.generate");
            using var served = ServedModel.Load(CliOptions.ResolveModel(parse.GetValue(model)), logger);
            var sampling = new SamplingParams
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
                Stop = parse.GetValue(stop) ?? [],
                IgnoreEos = parse.GetValue(ignoreEos),
            };
            sampling.Validate();

            var text = parse.GetValue(prompt)!;
            IReadOnlyList<int> tokens;
            if (parse.GetValue(chat))
            {
                var messages = new List<ChatMessage>();
                if (parse.GetValue(system) is { } systemText)
                {
                    messages.Add(new ChatMessage("system", systemText));
                }

                messages.Add(new ChatMessage("user", text));
                tokens = served.EncodeChat(messages);
            }
            else
            {
                tokens = served.Tokenizer.Encode(text, addSpecialTokens: true);
            }

            await using var loop = new EngineLoop(served.CreateEngine(new EngineOptions()), logger);
            var generator = new TextGenerator(served, loop);
            var clock = Stopwatch.StartNew();
            double? firstToken = null;
            GenerationUpdate? last = null;
            await foreach (var update in generator.GenerateAsync(tokens, sampling, cancellationToken))
            {
                firstToken ??= clock.Elapsed.TotalSeconds;
                System.Console.Out.Write(update.Text);
                await System.Console.Out.FlushAsync(cancellationToken);
                last = update;
            }

            System.Console.Out.WriteLine();
            if (last is not null)
            {
                var decodeSeconds = clock.Elapsed.TotalSeconds - firstToken!.Value;
                var rate = last.OutputTokens > 1 ? (last.OutputTokens - 1) / decodeSeconds : double.NaN;
                System.Console.Error.WriteLine(
                    $"[{last.PromptTokens} prompt tokens, {last.OutputTokens} generated, finish: {last.Finish?.ToString().ToLowerInvariant()}, first token {firstToken * 1000:F0} ms, {rate:F1} tokens/s]");
            }

            return 0;
        });
        return command;
    }
}
