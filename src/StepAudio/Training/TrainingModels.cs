using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Llm;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// The models a run trains, built from the config: the Step1 LLM (a preset with seeded random weights, or the Hugging
/// Face folder of <c>model.llm.model_path</c>) with LoRA injected and its text tokenizer, and the flow (preset or
/// <c>model.flow.model_path/flow.pt</c>) with its encoder frozen, both on the config's <c>device</c>. A model the run
/// does not need is not built.
/// </summary>
public sealed class TrainingModels : IDisposable
{
    /// <summary>The LLM with LoRA (null when it takes no part).</summary>
    public Step1ForCausalLM? Llm { get; private init; }
    /// <summary>The LoRA settings.</summary>
    public LoraConfig? Lora { get; private init; }
    /// <summary>Prompt builder over the text tokenizer.</summary>
    public Step1PromptBuilder? Prompts { get; private init; }
    /// <summary>The text tokenizer file.</summary>
    public string? TokenizerPath { get; private init; }
    /// <summary>The flow (null when it takes no part).</summary>
    public CausalMaskedDiffWithXvec? Flow { get; private init; }
    /// <summary>The LoRA parameters.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> LlmTrainable { get; private init; } = [];
    /// <summary>The flow decoder's parameters (and the speaker projection when it trains).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> FlowTrainable { get; private init; } = [];
    /// <summary>What the base weights are: a folder, or <c>preset tiny (seed 42)</c>.</summary>
    public string LlmBase { get; private init; } = "";
    /// <summary>What the flow's base weights are.</summary>
    public string FlowBase { get; private init; } = "";
    /// <summary>Where the models live (<c>device:</c>); batches are moved to each model's device.</summary>
    public Device Device => Llm?.LmHeadWeight.device ?? Flow?.Device ?? CPU;

    /// <summary>Builds what <paramref name="llm"/>/<paramref name="flow"/> ask for.</summary>
    public static TrainingModels Build(StepAudioConfig config, bool llm, bool flow)
    {
        ArgumentNullException.ThrowIfNull(config);
        var device = Platform.TorchDevices.Of(config);
        Step1ForCausalLM? lm = null;
        CausalMaskedDiffWithXvec? fm = null;
        try
        {
            LoraConfig? lora = null;
            Step1PromptBuilder? prompts = null;
            string? tokenizerPath = null;
            string llmBase = "", flowBase = "";
            var llmTrainable = new List<(string, Parameter)>();
            var flowTrainable = new List<(string, Parameter)>();
            if (llm)
            {
                (lm, llmBase) = BuildLlm(config, device);
                var c = config.Model.Llm;
                lora = new LoraConfig { R = c.LoraR, Alpha = c.LoraAlpha, Dropout = c.LoraDropout, TargetModules = c.LoraTargetModules.ToArray() }
                    .Validate(config.SourcePath ?? "config");
                Step1Lora.Inject(lm, lora);
                llmTrainable.AddRange(lm.named_parameters().Where(p => p.parameter.requires_grad));
                (prompts, tokenizerPath) = BuildPrompts(config, lm.Config);
            }
            if (flow)
            {
                (fm, flowBase) = BuildFlow(config);
                fm.to(device);
                var trainable = fm.FreezeEncoder(config.Model.Flow.TrainSpeakerProjection);
                if (!config.Model.Flow.FreezeEncoder)
                    foreach (var p in fm.parameters()) p.requires_grad = true;
                flowTrainable.AddRange(fm.named_parameters().Where(p => p.parameter.requires_grad));
            }
            return new TrainingModels
            {
                Llm = lm, Lora = lora, Prompts = prompts, TokenizerPath = tokenizerPath, Flow = fm,
                LlmTrainable = llmTrainable, FlowTrainable = flowTrainable, LlmBase = llmBase, FlowBase = flowBase,
            };
        }
        catch
        {
            lm?.Dispose();
            fm?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The prompt builder over the config's text tokenizer (<c>model.llm.tokenizer_path</c>, else
    /// <c>model_path/tokenizer.model</c>), checked to put <c>&lt;audio_0&gt;</c> where <paramref name="llm"/> expects it.
    /// </summary>
    public static (Step1PromptBuilder Prompts, string TokenizerPath) BuildPrompts(StepAudioConfig config, Step1Config llm)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(llm);
        var c = config.Model.Llm;
        var tokenizerPath = c.TokenizerPath ?? (c.ModelPath is { } mp ? Path.Combine(mp, "tokenizer.model")
            : throw config.Error("model.llm.tokenizer_path", "is not set and there is no model_path to take tokenizer.model from",
                "set model.llm.tokenizer_path (the tiny preset ships configs/tiny-tokenizer.model)"));
        var tokenizer = Step1TextTokenizer.Load(tokenizerPath);
        if (tokenizer.AudioTokenOffset != llm.AudioTokenOffset)
            throw config.Error("model.llm.tokenizer_path",
                $"{tokenizerPath} puts <audio_0> at id {tokenizer.AudioTokenOffset?.ToString() ?? "(none)"}, the model expects {llm.AudioTokenOffset}",
                "use the tokenizer that belongs to the model");
        return (new Step1PromptBuilder(tokenizer, llm.BosTokenId, 4, llm.EosTokenId), tokenizerPath);
    }

    /// <summary>
    /// The LLM's shape and special ids without its weights: the preset's, or <c>model_path/config.json</c> (what
    /// <see cref="Build"/> would load).
    /// </summary>
    public static Step1Config LlmConfig(StepAudioConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.Model.Llm;
        if (c.ModelPath is { } path) return Step1Config.FromJsonFile(Path.Combine(path, "config.json"));
        return Step1Config.Preset(c.Preset ?? throw config.Error("model.llm", "has neither model_path nor preset", "set one of them"));
    }

    /// <summary>The dtype <c>model.llm.base_dtype</c> names.</summary>
    public static ScalarType BaseDtype(LlmModelConfig llm) => llm.BaseDtype == "fp32" ? ScalarType.Float32 : ScalarType.BFloat16;

    // The base is read straight into its dtype (a bf16 checkpoint is never widened to fp32 as a whole); a preset is
    // drawn in fp32 and cast tensor by tensor, so fp32 and bf16 runs of one seed start from the same weights.
    // A checkpoint is read straight onto the device; a preset is drawn on the CPU (the same weights on any device) and moved.
    static (Step1ForCausalLM, string) BuildLlm(StepAudioConfig config, Device device)
    {
        var c = config.Model.Llm;
        var (model, source) = c.ModelPath is { } path ? (Step1Checkpoint.Load(path, BaseDtype(c), device).Model, path) : BuildPreset(config);
        if (c.ModelPath is null) model.to(device);
        model.model.GradientCheckpointing = c.GradientCheckpointing;
        return (model, source);
    }

    static (Step1ForCausalLM, string) BuildPreset(StepAudioConfig config)
    {
        var c = config.Model.Llm;
        var preset = c.Preset ?? throw config.Error("model.llm", "has neither model_path nor preset", "set one of them");
        torch.manual_seed(LengthBatcher.HashCode32(config.Seed, 11));
        var model = new Step1ForCausalLM(Step1Config.Preset(preset));
        if (BaseDtype(c) != ScalarType.Float32) model.to(BaseDtype(c));
        return (model, $"preset {preset} (random weights, seed {config.Seed}, {c.BaseDtype})");
    }

    static (CausalMaskedDiffWithXvec, string) BuildFlow(StepAudioConfig config)
    {
        var c = config.Model.Flow;
        if (c.ModelPath is { } path)
        {
            var model = new CausalMaskedDiffWithXvec(FlowConfig.StepAudioEditX);
            var file = Path.Combine(path, "flow.pt");
            FlowCheckpoint.Load(model, File.Exists(file) ? file : Path.Combine(path, "flow.safetensors"));
            return (model, path);
        }
        var preset = c.Preset ?? throw config.Error("model.flow", "has neither model_path nor preset", "set one of them");
        torch.manual_seed(LengthBatcher.HashCode32(config.Seed, 12));
        return (new CausalMaskedDiffWithXvec(FlowConfig.Preset(preset)), $"preset {preset} (random weights, seed {config.Seed})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Llm?.Dispose();
        Flow?.Dispose();
    }
}
