using System.Text.Json.Nodes;
using Elastic.Inference.Checkpoints;
using Elastic.Inference.Configuration;
using Elastic.Inference.Tests.TestCheckpoints;

namespace Elastic.Inference.Tests.Reference;

public sealed class ReferenceForwardTests
{
    private const int Seed = 20240611;

    public static TheoryData<ModelFamily> Families => new(TestCheckpoint.AllFamilies);

    [Fact]
    public void RmsNorm_SmallVector_MatchesHandComputation()
    {
        // mean(x²) = (1 + 4 + 9 + 16) / 4 = 7.5
        var result = ReferenceMoeForward.RmsNorm([1, 2, 3, 4], [1f, 1f, 2f, 0.5f], eps: 0.5);

        var scale = 1 / Math.Sqrt(7.5 + 0.5);
        Assert.Equal(1 * scale, result[0], 12);
        Assert.Equal(2 * scale, result[1], 12);
        Assert.Equal(3 * scale * 2, result[2], 12);
        Assert.Equal(4 * scale * 0.5, result[3], 12);
    }

    [Fact]
    public void Rope_HeadDimFour_RotatesHalvesNotAdjacentPairs()
    {
        // d = 4, theta = 100: inv_freq = [1, 1/10]; dimension 0 pairs with 2 and 1 with 3 (rotate_half).
        var result = ReferenceMoeForward.Rope([1, 2, 3, 4], position: 2, theta: 100);

        double a = 2, b = 0.2;
        Assert.Equal((1 * Math.Cos(a)) - (3 * Math.Sin(a)), result[0], 12);
        Assert.Equal((2 * Math.Cos(b)) - (4 * Math.Sin(b)), result[1], 12);
        Assert.Equal((3 * Math.Cos(a)) + (1 * Math.Sin(a)), result[2], 12);
        Assert.Equal((4 * Math.Cos(b)) + (2 * Math.Sin(b)), result[3], 12);
    }

    [Fact]
    public void Rope_PositionZero_IsIdentity()
    {
        double[] head = [0.5, -1, 2, 0.25, 3, -0.75];

        Assert.Equal(head, ReferenceMoeForward.Rope(head, 0, 10000));
    }

    [Fact]
    public void Rope_DotProduct_DependsOnlyOnRelativePosition()
    {
        double[] q = [0.3, -1.2, 0.8, 0.1, 2.0, -0.4, 0.9, 1.1];
        double[] k = [1.0, 0.2, -0.6, 0.7, -0.3, 0.5, 1.4, -0.8];

        var near = Dot(ReferenceMoeForward.Rope(q, 5, 10000), ReferenceMoeForward.Rope(k, 2, 10000));
        var far = Dot(ReferenceMoeForward.Rope(q, 103, 10000), ReferenceMoeForward.Rope(k, 100, 10000));

        Assert.Equal(near, far, 9);
        Assert.Equal(Math.Sqrt(Dot(q, q)), Math.Sqrt(Dot(ReferenceMoeForward.Rope(q, 7, 10000), ReferenceMoeForward.Rope(q, 7, 10000))), 12);
    }

    [Fact]
    public void Route_Normalised_WeightsSumToOneInProbabilityOrder()
    {
        var (experts, weights, probabilities) = ReferenceMoeForward.Route([0.1, 2.0, -1.0, 1.5], topK: 2, normalize: true);

        Assert.Equal([1, 3], experts);
        Assert.Equal(1.0, weights.Sum(), 12);
        Assert.Equal(probabilities[1] / (probabilities[1] + probabilities[3]), weights[0], 12);
        Assert.Equal(1.0, probabilities.Sum(), 12);
    }

    [Fact]
    public void Route_NotNormalised_WeightsAreTheSoftmaxProbabilities()
    {
        double[] logits = [0.1, 2.0, -1.0, 1.5];
        var (_, weights, _) = ReferenceMoeForward.Route(logits, topK: 2, normalize: false);

        var denominator = logits.Sum(Math.Exp);
        Assert.Equal(Math.Exp(2.0) / denominator, weights[0], 12);
        Assert.Equal(Math.Exp(1.5) / denominator, weights[1], 12);
        Assert.True(weights.Sum() < 1);
    }

    [Fact]
    public void Route_TiedProbabilities_PicksLowerExpertIndexFirst()
    {
        var (experts, _, _) = ReferenceMoeForward.Route([0.0, 1.0, 1.0, 1.0], topK: 2, normalize: true);

        Assert.Equal([1, 2], experts);
    }

    [Fact]
    public void Logits_OneLayerTwoTokens_MatchHandComputation()
    {
        // hidden = head_dim = 2, one head, one expert of width 1, vocab 2, all projections identity:
        // small enough to write every step out, and two tokens make rope and causal softmax matter.
        var config = TestCheckpoint.Parse(JsonNode.Parse("""
            {"model_type": "mixtral", "vocab_size": 2, "hidden_size": 2, "intermediate_size": 1,
             "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1,
             "num_local_experts": 1, "num_experts_per_tok": 1, "rms_norm_eps": 0.0, "rope_theta": 10000.0}
            """)!.AsObject());
        var weights = new Dictionary<string, float[]>
        {
            [WeightNames.Embedding] = [3f, 4f, 1f, -2f],
            [WeightNames.FinalNorm] = [1f, 1f],
            [WeightNames.LmHead] = [1f, 0f, 0f, 1f],
            [WeightNames.InputNorm(0)] = [1f, 1f],
            [WeightNames.PostAttentionNorm(0)] = [1f, 1f],
            [WeightNames.Attention(0, "q_proj.weight")] = [1f, 0f, 0f, 1f],
            [WeightNames.Attention(0, "k_proj.weight")] = [1f, 0f, 0f, 1f],
            [WeightNames.Attention(0, "v_proj.weight")] = [1f, 0f, 0f, 1f],
            [WeightNames.Attention(0, "o_proj.weight")] = [1f, 0f, 0f, 1f],
            [WeightNames.Router(config, 0)] = [0.5f, 0.5f],
            [WeightNames.Expert(config, 0, 0).Gate] = [1f, 0f],
            [WeightNames.Expert(config, 0, 0).Up] = [0f, 1f],
            [WeightNames.Expert(config, 0, 0).Down] = [1f, -1f],
        };

        var logits = new ReferenceMoeForward(config, weights).Logits([0, 1]);

        static double[] Norm(double[] v)
        {
            var rms = Math.Sqrt(((v[0] * v[0]) + (v[1] * v[1])) / 2);
            return [v[0] / rms, v[1] / rms];
        }

        // head_dim 2: one frequency (inv_freq = 1), dimension 0 pairs with 1; position p rotates by p radians.
        static double[] Rotate(double[] v, double angle) =>
            [(v[0] * Math.Cos(angle)) - (v[1] * Math.Sin(angle)), (v[1] * Math.Cos(angle)) + (v[0] * Math.Sin(angle))];

        double[] e0 = [3, 4], e1 = [1, -2];
        double[] h0 = Norm(e0), h1 = Norm(e1);
        // Token 0 sees only itself: attention output is its own value.
        double[] a0 = h0;
        // Token 1 attends over both with softmax(q1·k_s / sqrt(2)).
        var q1 = Rotate(h1, 1);
        var s0 = Dot(q1, Rotate(h0, 0)) / Math.Sqrt(2);
        var s1 = Dot(q1, Rotate(h1, 1)) / Math.Sqrt(2);
        var p0 = Math.Exp(s0) / (Math.Exp(s0) + Math.Exp(s1));
        double[] a1 = [(p0 * h0[0]) + ((1 - p0) * h1[0]), (p0 * h0[1]) + ((1 - p0) * h1[1])];

        double[] Block(double[] e, double[] a)
        {
            double[] x = [e[0] + a[0], e[1] + a[1]];
            var h = Norm(x);
            // The only expert gets weight 1 after renormalisation: down * (silu(h0) * h1), down = [1, -1].
            var inner = ReferenceMoeForward.Silu(h[0]) * h[1];
            return Norm([x[0] + inner, x[1] - inner]);
        }

        var expected0 = Block(e0, a0);
        var expected1 = Block(e1, a1);
        Assert.Equal(expected0[0], logits[0][0], 5);
        Assert.Equal(expected0[1], logits[0][1], 5);
        Assert.Equal(expected1[0], logits[1][0], 5);
        Assert.Equal(expected1[1], logits[1][1], 5);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Logits_AppendingTokens_LeavesPrefixLogitsUnchanged(ModelFamily family)
    {
        var reference = Tiny(family);
        int[] prefix = [1, 5, 9, 13, 2];
        int[] extended = [.. prefix, 7, 3, 11];

        var short_ = reference.Logits(prefix);
        var long_ = reference.Logits(extended);

        for (var t = 0; t < prefix.Length; t++)
        {
            Assert.Equal(short_[t], long_[t]);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Logits_TinyCheckpoints_AreFiniteOrderOneAndPositionDependent(ModelFamily family)
    {
        var reference = Tiny(family);

        var logits = reference.Logits([9, 2, 4, 7]);

        foreach (var row in logits)
        {
            Assert.Equal(reference.Config.VocabSize, row.Length);
            Assert.All(row, v => Assert.True(float.IsFinite(v)));
            var std = Math.Sqrt(row.Select(v => (double)v * v).Average() - Math.Pow(row.Average(v => (double)v), 2));
            Assert.InRange(std, 0.1, 10);
        }

        // Attention without positions is permutation-invariant over the context; with rope, swapping
        // two earlier tokens must change the last token's logits.
        var swapped = reference.Logits([2, 9, 4, 7]);
        Assert.NotEqual(logits[3], swapped[3]);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Routing_TinyCheckpoints_SpreadsTokensOverExperts(ModelFamily family)
    {
        var reference = Tiny(family);
        var tokens = Enumerable.Range(0, 24).Select(i => (i * 7) % reference.Config.VocabSize).ToArray();

        reference.Logits(tokens, out var routing);

        var sparseLayers = Enumerable.Range(0, reference.Config.NumLayers).Where(reference.Config.IsSparseLayer).ToList();
        Assert.Equal(sparseLayers.Count * tokens.Length, routing.Count);
        foreach (var layer in sparseLayers)
        {
            var used = routing.Where(r => r.Layer == layer).SelectMany(r => r.Experts).Distinct().Count();
            Assert.True(used >= 3, $"layer {layer} used only {used} experts: routing is degenerate");
        }

        Assert.All(routing, r => Assert.True(r.Probabilities.Max() < 0.99, "router is near one-hot"));
    }

    [Theory]
    [InlineData(ModelFamily.Mixtral, true)]
    [InlineData(ModelFamily.Qwen3Moe, true)]
    [InlineData(ModelFamily.OlMoe, false)]
    [InlineData(ModelFamily.Qwen2Moe, false)]
    public void Routing_WeightsSumToOneExactlyWhenNormTopKProb(ModelFamily family, bool normalised)
    {
        var reference = Tiny(family);
        Assert.Equal(normalised, reference.Config.NormTopKProb);

        reference.Logits([3, 1, 4, 1, 5, 9, 2, 6], out var routing);

        Assert.NotEmpty(routing);
        foreach (var decision in routing)
        {
            Assert.Equal(reference.Config.NumExpertsPerToken, decision.Experts.Length);
            Assert.Equal(decision.Experts.Length, decision.Experts.Distinct().Count());
            if (normalised)
            {
                Assert.Equal(1.0, decision.Weights.Sum(), 12);
            }
            else
            {
                Assert.Equal(decision.Experts.Select(e => decision.Probabilities[e]), decision.Weights);
                Assert.True(decision.Weights.Sum() < 1.0);
            }
        }
    }

    [Fact]
    public void Logits_GroupedQueryAttention_EqualsExplicitlyRepeatedKvHeads()
    {
        // repeat_kv semantics: with 4 query heads over 2 kv heads, query head h reads kv head h / 2.
        // Duplicating each kv head's rows into a 4-kv-head checkpoint must give identical logits.
        var json = TestCheckpoint.TinyConfig(ModelFamily.Mixtral);
        var gqaConfig = TestCheckpoint.Parse(json);
        var weights = RandomWeightMap(gqaConfig);
        json["num_key_value_heads"] = gqaConfig.NumHeads;
        var mhaConfig = TestCheckpoint.Parse(json);
        var mhaWeights = new Dictionary<string, float[]>(weights);
        var d = gqaConfig.HeadDim * gqaConfig.HiddenSize;
        var group = gqaConfig.NumHeads / gqaConfig.NumKvHeads;
        for (var layer = 0; layer < gqaConfig.NumLayers; layer++)
        {
            foreach (var part in new[] { "k_proj.weight", "v_proj.weight" })
            {
                var name = WeightNames.Attention(layer, part);
                var repeated = new float[mhaConfig.KvProjSize * mhaConfig.HiddenSize];
                for (var head = 0; head < mhaConfig.NumKvHeads; head++)
                {
                    Array.Copy(weights[name], head / group * d, repeated, head * d, d);
                }

                mhaWeights[name] = repeated;
            }
        }

        int[] tokens = [5, 17, 3, 42, 8, 8];
        var gqa = new ReferenceMoeForward(gqaConfig, weights).Logits(tokens);
        var mha = new ReferenceMoeForward(mhaConfig, mhaWeights).Logits(tokens);

        for (var t = 0; t < tokens.Length; t++)
        {
            Assert.Equal(gqa[t], mha[t]);
        }
    }

    [Fact]
    public void Logits_TiedEmbeddings_EqualUntiedCheckpointWithCopiedHead()
    {
        var json = TestCheckpoint.TinyConfig(ModelFamily.Qwen2Moe);
        var tiedConfig = TestCheckpoint.Parse(json);
        Assert.True(tiedConfig.TieWordEmbeddings);
        var weights = RandomWeightMap(tiedConfig);
        Assert.DoesNotContain(WeightNames.LmHead, weights.Keys);
        json["tie_word_embeddings"] = false;
        var untied = new Dictionary<string, float[]>(weights) { [WeightNames.LmHead] = weights[WeightNames.Embedding] };

        int[] tokens = [1, 2, 3, 30, 60];
        var a = new ReferenceMoeForward(tiedConfig, weights).Logits(tokens);
        var b = new ReferenceMoeForward(TestCheckpoint.Parse(json), untied).Logits(tokens);

        Assert.Equal(a, b);
    }

    [Fact]
    public void Logits_Qwen2MoeSharedExpert_ContributesThroughItsSigmoidGate()
    {
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Qwen2Moe));
        var weights = RandomWeightMap(config);
        int[] tokens = [4, 8, 15, 16, 23, 42];
        var baseline = new ReferenceMoeForward(config, weights).Logits(tokens);

        // Zeroing the gate row gives sigmoid(0) = 1/2 (half the shared output); zeroing down_proj removes it.
        var gatedOff = new Dictionary<string, float[]>(weights);
        var silenced = new Dictionary<string, float[]>(weights);
        foreach (var layer in Enumerable.Range(0, config.NumLayers).Where(config.IsSparseLayer))
        {
            gatedOff[WeightNames.SharedExpertGate(layer)] = new float[config.HiddenSize];
            silenced[WeightNames.SharedExpert(layer).Down] = new float[config.HiddenSize * config.SharedExpertIntermediateSize];
        }

        var zeroGate = new ReferenceMoeForward(config, gatedOff).Logits(tokens);
        var noShared = new ReferenceMoeForward(config, silenced).Logits(tokens);

        Assert.NotEqual(baseline[^1], noShared[^1]);
        Assert.NotEqual(zeroGate[^1], noShared[^1]);
        Assert.NotEqual(zeroGate[^1], baseline[^1]);
    }

    [Theory]
    [InlineData(ModelFamily.Qwen3Moe, false)]
    [InlineData(ModelFamily.OlMoe, true)]
    public void Logits_ScalingOneQueryHead_MattersOnlyForFullProjectionQkNorm(ModelFamily family, bool changes)
    {
        // RMSNorm is scale-invariant over what it normalises. Qwen3 normalises each head alone, so scaling
        // one head's q_proj rows is invisible; OLMoE normalises all heads together, so it shifts the others.
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(family));
        var weights = RandomWeightMap(config);
        var scaled = new Dictionary<string, float[]>(weights);
        var rows = config.HeadDim * config.HiddenSize;
        for (var layer = 0; layer < config.NumLayers; layer++)
        {
            var name = WeightNames.Attention(layer, "q_proj.weight");
            scaled[name] = weights[name].Select((v, i) => i < rows ? v * 3f : v).ToArray();
        }

        int[] tokens = [3, 14, 15, 9, 26];
        var a = new ReferenceMoeForward(config, weights).Logits(tokens);
        var b = new ReferenceMoeForward(config, scaled).Logits(tokens);

        var maxDifference = a.Zip(b, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();
        if (changes)
        {
            Assert.True(maxDifference > 1e-2, $"max difference {maxDifference}");
        }
        else
        {
            Assert.True(maxDifference < 1e-4, $"max difference {maxDifference}");
        }
    }

    [Fact]
    public void Constructor_MissingTensor_NamesIt()
    {
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.OlMoe));
        var weights = RandomWeightMap(config);
        weights.Remove(WeightNames.Attention(1, "k_norm.weight"));

        var ex = Assert.Throws<ArgumentException>(() => new ReferenceMoeForward(config, weights));

        Assert.Contains("model.layers.1.self_attn.k_norm.weight", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Write_F32_ReadsBackBitIdentical(ModelFamily family)
    {
        using var temp = new TempDirectory();
        var dir = TestCheckpoint.WriteTiny(temp.Path, family, Seed);
        var config = ModelConfig.Load(dir);

        var read = TestCheckpoint.ReadAllWeights(dir);

        var original = TestCheckpoint.RandomWeights(config, Seed);
        Assert.Equal(original.Count, read.Count);
        foreach (var (name, _, data) in original)
        {
            Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), read[name].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [InlineData(TensorDType.BF16, 1.0 / 256)]
    [InlineData(TensorDType.F16, 1.0 / 2048)]
    public void Write_HalfPrecision_ReadsBackWithinRounding(TensorDType dtype, double relativeHalfUlp)
    {
        using var temp = new TempDirectory();
        var dir = TestCheckpoint.WriteTiny(temp.Path, ModelFamily.Qwen3Moe, Seed, dtype);
        var config = ModelConfig.Load(dir);

        var read = TestCheckpoint.ReadAllWeights(dir);

        Assert.Equal(dtype == TensorDType.BF16 ? "bfloat16" : "float16", config.TorchDtype);
        var anyRounded = false;
        foreach (var (name, _, data) in TestCheckpoint.RandomWeights(config, Seed))
        {
            for (var i = 0; i < data.Length; i++)
            {
                var error = Math.Abs(read[name][i] - data[i]);
                // Round-to-nearest is off by at most half an ulp, which is at most 2^-8 of the value for bf16
                // (8 significant bits) and 2^-11 for f16 (11), plus f16's subnormal spacing for tiny values.
                Assert.True(error <= (Math.Abs(data[i]) * relativeHalfUlp) + 3e-8, $"{name}[{i}]: {data[i]} read back as {read[name][i]}");
                anyRounded |= error > 0;
            }
        }

        Assert.True(anyRounded);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Write_Sharded_HoldsTheSameWeightsAsUnsharded(ModelFamily family)
    {
        using var temp = new TempDirectory();
        var single = TestCheckpoint.WriteTiny(temp.CreateSubdirectory("single"), family, Seed, TensorDType.BF16);
        var sharded = TestCheckpoint.WriteTiny(temp.CreateSubdirectory("sharded"), family, Seed, TensorDType.BF16, shards: 3);

        var a = TestCheckpoint.ReadAllWeights(single);
        var b = TestCheckpoint.ReadAllWeights(sharded);

        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, data) in a)
        {
            Assert.Equal(data, b[name]);
        }

        Assert.False(File.Exists(Path.Combine(sharded, TestCheckpoint.SingleFileName)));
        Assert.True(File.Exists(Path.Combine(sharded, "model-00003-of-00003.safetensors")));
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(sharded, TestCheckpoint.IndexFileName)))!;
        var weightMap = index["weight_map"]!.AsObject();
        Assert.Equal(a.Count, weightMap.Count);
        Assert.Equal(3, weightMap.Select(kv => kv.Value!.GetValue<string>()).Distinct().Count());
        Assert.Equal(a.Values.Sum(v => v.LongLength * 2), index["metadata"]!["total_size"]!.GetValue<long>());
    }

    [Fact]
    public void Write_SameSeed_IsDeterministicAndDifferentSeedIsNot()
    {
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Mixtral));

        var a = TestCheckpoint.RandomWeights(config, 1);
        var b = TestCheckpoint.RandomWeights(config, 1);
        var c = TestCheckpoint.RandomWeights(config, 2);

        Assert.Equal(a[0].Data, b[0].Data);
        Assert.NotEqual(a[0].Data, c[0].Data);
    }

    [Fact]
    public void Write_DoesNotModifyTheCallersConfig()
    {
        using var temp = new TempDirectory();
        var json = TestCheckpoint.TinyConfig(ModelFamily.Mixtral);
        var before = json.ToJsonString();

        TestCheckpoint.Write(temp.Path, json, Seed, TensorDType.BF16);

        Assert.Equal(before, json.ToJsonString());
    }

    [Fact]
    public void TinyConfigs_ParseIntoTheIntendedShapes()
    {
        var mixtral = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Mixtral));
        var qwen3 = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Qwen3Moe));
        var olmoe = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.OlMoe));
        var qwen2 = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(ModelFamily.Qwen2Moe));

        Assert.All(new[] { mixtral, qwen3, olmoe, qwen2 }, c =>
        {
            Assert.Equal(4, c.NumHeads);
            Assert.Equal(2, c.NumKvHeads);
            Assert.Equal(2, c.NumExpertsPerToken);
            Assert.Equal(128, c.MaxPositionEmbeddings);
        });
        Assert.True(mixtral.NormTopKProb);
        Assert.Equal(QkNorm.None, mixtral.QkNorm);
        Assert.Equal(16, qwen3.HeadDim);
        Assert.NotEqual(qwen3.HiddenSize / qwen3.NumHeads, qwen3.HeadDim);
        Assert.Equal(QkNorm.PerHead, qwen3.QkNorm);
        Assert.Empty(qwen3.DenseLayers);
        Assert.Equal([2, 3], qwen3.EosTokenIds);
        Assert.Equal(QkNorm.FullProjection, olmoe.QkNorm);
        Assert.Null(olmoe.BosTokenId);
        Assert.False(olmoe.NormTopKProb);
        Assert.Equal([1], qwen2.DenseLayers);
        Assert.Equal(64, qwen2.DenseIntermediateSize);
        Assert.Equal(48, qwen2.SharedExpertIntermediateSize);
        Assert.True(qwen2.QkvBias);
        Assert.True(qwen2.TieWordEmbeddings);
    }

    private static ReferenceMoeForward Tiny(ModelFamily family)
    {
        var config = TestCheckpoint.Parse(TestCheckpoint.TinyConfig(family));
        return new ReferenceMoeForward(config, RandomWeightMap(config));
    }

    private static Dictionary<string, float[]> RandomWeightMap(ModelConfig config) =>
        TestCheckpoint.RandomWeights(config, Seed).ToDictionary(t => t.Name, t => t.Data, StringComparer.Ordinal);

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
