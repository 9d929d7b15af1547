using StepAudio.Checkpoints;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>step1_llm</c>: Step1ForCausalLM logits, hidden states, ALiBi bias, shifted CE loss and gradients against
/// upstream, then (from <c>lora/</c>) the PEFT adapter's logits, loss and LoRA gradients, the merged weight and the
/// merged model's logits. Sizes, heads, groups, rank and targets all come from the fixture.
/// </summary>
public sealed class Step1LlmParity : IParityComponent
{
    public string Component => "step1_llm";

    public void Run(ParityFixture f, ParityReport r)
    {
        var config = Step1Config.FromJson(f.Config, f.File_("fixture.json"));
        var (model, load) = Step1Checkpoint.Load(f.WeightsPath, config);
        using var _ = model;
        r.Check(load.IsExact, "weights.safetensors did not match the model exactly: " + load);
        var ids = f.In("input_ids");
        var labels = f.In("labels");

        var hidden = new List<Tensor>();
        var logits = model.forward(ids, null, hidden);
        r.Compare("logits", logits);
        foreach (var key in f.IoKeys("hidden_states."))
        {
            var part = key["hidden_states.".Length..];
            int index = int.Parse(part[..part.IndexOf('_')]);
            r.Compare(key, hidden[index]);
        }
        foreach (var h in hidden) h.Dispose();
        if (f.Io.TryGetValue("alibi_bias", out var alibi)) CheckAlibi(r, alibi, config);

        var loss = CausalLmLoss.Compute(logits, labels);
        r.Compare("loss", loss);
        loss.backward();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var key in f.IoKeys("grad."))
            r.Compare(key, parameters[key["grad.".Length..]].grad!);

        var loraDir = f.File_("lora");
        if (Directory.Exists(loraDir)) RunLora(f, r, model, ids, labels, loraDir);
    }

    static void CheckAlibi(ParityReport r, Tensor expected, Step1Config config)
    {
        long s = expected.shape[1];
        var actual = Step1Alibi.Bias(config.NumAttentionHeads, s, s);
        var expFinite = expected.isfinite();
        r.Check(expFinite.eq(actual.isfinite()).all().item<bool>(), "alibi_bias: the -inf (future) pattern differs");
        var diff = (actual.masked_fill(expFinite.logical_not(), 0) - expected.masked_fill(expFinite.logical_not(), 0))
            .abs().max().item<float>();
        r.Check(diff <= 1e-5, $"alibi_bias: finite entries differ by {diff}");
    }

    static void RunLora(ParityFixture f, ParityReport r, Step1ForCausalLM model, Tensor ids, Tensor labels, string dir)
    {
        var io = SafetensorsFile.LoadAll(Path.Combine(dir, "io.safetensors"));
        try
        {
            model.zero_grad();
            var lora = PeftAdapter.Load(model, dir);
            r.Check(Step1Lora.Adapters(model).Count == config(f).NumHiddenLayers * lora.TargetModules.Count,
                "one adapter per target module per layer");
            var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
            r.Check(trainable.Count > 0 && trainable.All(Step1Lora.IsLoraParameter), "only LoRA parameters train");

            var logits = model.forward(ids);
            r.CompareWith("lora/logits", io["logits"], logits, "logits");
            var loss = CausalLmLoss.Compute(logits, labels);
            r.CompareWith("lora/loss", io["loss"], loss, "loss");
            loss.backward();
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var key in io.Keys.Where(k => k.StartsWith("grad.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var name = PeftAdapter.ParameterName(key["grad.".Length..])!;
                r.CompareWith("lora/" + key, io[key], parameters[name].grad!, "grad");
            }

            Step1Lora.Merge(model);
            foreach (var key in io.Keys.Where(k => k.StartsWith("merged.", StringComparison.Ordinal)))
                r.CompareWith("lora/" + key, io[key], parameters[key["merged.".Length..]], "merged_weight");
            using (no_grad())
            {
                var merged = model.forward(ids);
                if (io.TryGetValue("merged_model_logits", out var ml))
                    r.CompareWith("lora/merged_model_logits", ml, merged, "logits");
                Step1Lora.Unmerge(model);
                var again = model.forward(ids);
                r.CompareWith("lora/logits after unmerge", io["logits"], again, "logits");
            }
        }
        finally
        {
            foreach (var t in io.Values) t.Dispose();
        }
    }

    static Step1Config config(ParityFixture f) => Step1Config.FromJson(f.Config);
}
