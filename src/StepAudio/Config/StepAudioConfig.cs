namespace StepAudio.Config;

/// <summary>What a training run trains (the fork's <c>train_mode</c>).</summary>
public enum TrainMode
{
    /// <summary>Stage 2 only: the flow decoder.</summary>
    Flow,
    /// <summary>Stage 1 only: LLM LoRA.</summary>
    Llm,
    /// <summary>Stages 1, 2 and 3 (joint).</summary>
    Both,
}

/// <summary>
/// The training configuration, in this toolkit's YAML schema (snake_case keys). The fork's layout, with its
/// <c>basic:</c> section, loads too. Relative paths are resolved against the config file's folder by
/// <c>ConfigLoader</c>. Defaults are those of configs/finetune_llm_flow.yaml.
/// </summary>
public sealed class StepAudioConfig
{
    /// <summary>Random seed for initialisation, shuffling and CFM draws.</summary>
    public int Seed { get; set; } = 42;
    /// <summary><c>flow | llm | both</c>.</summary>
    public TrainMode TrainMode { get; set; } = TrainMode.Both;
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";
    /// <summary>Steps between training-log lines.</summary>
    public int LogInterval { get; set; } = 50;
    /// <summary>Epochs between validations.</summary>
    public int ValInterval { get; set; } = 1;
    /// <summary>The fork's overall epoch cap (its stages use <see cref="Stage"/>); kept for compatibility.</summary>
    public int MaxEpoch { get; set; } = 50;
    /// <summary>CPU threads for LibTorch (0 = LibTorch's default, one per core). Tiny models often run faster on 1.</summary>
    public int NumThreads { get; set; }

    public ModelConfig Model { get; set; } = new();
    public DataConfig Data { get; set; } = new();
    public OptimConfig Optim { get; set; } = new();
    public LossConfig Loss { get; set; } = new();
    public StageConfig Stage { get; set; } = new();
    public SaveConfig Save { get; set; } = new();

    /// <summary>The file this was loaded from (null when built in code).</summary>
    [ConfigIgnore] public string? SourcePath { get; set; }

    /// <summary>Line of each key given in the file (dotted path, e.g. <c>model.llm.lora_r</c>), for error messages.</summary>
    [ConfigIgnore] public IReadOnlyDictionary<string, int> KeyLines { get; set; } = new Dictionary<string, int>();

    /// <summary>An error about <paramref name="key"/> (dotted path), located at the line it was given on.</summary>
    public InputException Error(string key, string problem, string fix) =>
        new(SourcePath ?? "(config)", KeyLines.TryGetValue(key, out var line) ? line : null, key, problem, fix);
}

/// <summary><c>model:</c></summary>
public sealed class ModelConfig
{
    public LlmModelConfig Llm { get; set; } = new();
    public FlowModelConfig Flow { get; set; } = new();
    /// <summary>The audio tokenizer folder (the fork's <c>model.tokenizer</c>).</summary>
    public TokenizerModelConfig Tokenizer { get; set; } = new();
}

/// <summary><c>model.llm:</c> the Step1 LLM and its LoRA.</summary>
public sealed class LlmModelConfig
{
    /// <summary>Hugging Face folder of Step-Audio-EditX (config.json, safetensors, tokenizer.model).</summary>
    [ConfigPath] public string? ModelPath { get; set; }
    /// <summary>
    /// Built-in architecture used when <see cref="ModelPath"/> is empty: <c>tiny</c> (the embedded default, random
    /// weights) or <c>step-audio-editx</c> (the real shapes).
    /// </summary>
    public string? Preset { get; set; }
    /// <summary>
    /// SentencePiece <c>tokenizer.model</c> for the text side; default: <c>tokenizer.model</c> in <see cref="ModelPath"/>.
    /// The tiny preset ships its own (<c>configs/tiny-tokenizer.model</c>).
    /// </summary>
    [ConfigPath] public string? TokenizerPath { get; set; }
    /// <summary>
    /// dtype of the frozen base weights while training: <c>bf16</c> (as released: half the memory, oneDNN's bf16
    /// products) or <c>fp32</c>. LoRA weights, their AdamW state and the loss stay float32 either way.
    /// </summary>
    public string BaseDtype { get; set; } = "bf16";
    /// <summary>
    /// Activation checkpointing per decoder layer while training: each layer keeps only its input and is recomputed
    /// in backward (about one extra forward of compute for a fraction of the activation memory). Same loss and grads.
    /// </summary>
    public bool GradientCheckpointing { get; set; }
    /// <summary>Whether LoRA adapters are injected (the fork's <c>lora</c>).</summary>
    public bool Lora { get; set; } = true;
    public int LoraR { get; set; } = 8;
    public double LoraAlpha { get; set; } = 32;
    public double LoraDropout { get; set; } = 0.05;
    public List<string> LoraTargetModules { get; set; } = new() { "q_proj", "k_proj", "v_proj" };
    /// <summary>Only LoRA weights train when true.</summary>
    public bool FreezeBackbone { get; set; } = true;
}

/// <summary><c>model.flow:</c> the CosyVoice2-style flow and its vocoder.</summary>
public sealed class FlowModelConfig
{
    /// <summary>The <c>CosyVoice-300M-25Hz</c> folder (flow.pt, hift.pt, campplus.onnx ...).</summary>
    [ConfigPath] public string? ModelPath { get; set; }
    /// <summary>Built-in architecture used when <see cref="ModelPath"/> is empty (<c>tiny</c> or <c>step-audio-editx</c>).</summary>
    public string? Preset { get; set; }
    /// <summary>Freeze <c>input_embedding</c>, <c>encoder</c> and <c>encoder_proj</c>.</summary>
    public bool FreezeEncoder { get; set; } = true;
    /// <summary>The vocoder never trains here; kept for the fork's schema.</summary>
    public bool FreezeVocoder { get; set; } = true;
    /// <summary>Whether <c>spk_embed_affine_layer</c> trains with the decoder (the fork leaves it trainable).</summary>
    public bool TrainSpeakerProjection { get; set; } = true;
    /// <summary>Euler steps at inference.</summary>
    public int NTimesteps { get; set; } = 10;
    /// <summary><c>hift</c> (real models) or <c>griffin_lim</c> (the tiny default, whose HiFT would be noise).</summary>
    public string Vocoder { get; set; } = "hift";
}

/// <summary><c>model.tokenizer:</c> the fork's audio-tokenizer folder.</summary>
public sealed class TokenizerModelConfig
{
    [ConfigPath] public string? ModelPath { get; set; }
}

/// <summary><c>data:</c></summary>
public sealed class DataConfig
{
    [ConfigPath] public string? TrainPath { get; set; }
    [ConfigPath] public string? ValPath { get; set; }
    /// <summary>Feature cache folder (default: <c>.cache/features</c> next to the train manifest).</summary>
    [ConfigPath] public string? CacheDir { get; set; }
    public int BatchSize { get; set; } = 2;
    /// <summary>Rate of the mel features and of the output audio (upstream: 24000).</summary>
    public int SampleRate { get; set; } = 24000;
    /// <summary>Dynamic batching cap: longest padded mel frames × batch size (CosyVoice).</summary>
    public int MaxFramesInBatch { get; set; } = 2000;
    /// <summary>Mel frames per dual-codebook token frame.</summary>
    public int TokenMelRatio { get; set; } = 2;
    public FilterConfig Filter { get; set; } = new();
    /// <summary>The fork's older cap on clip length, in seconds (0 = none).</summary>
    public double MaxAudioLen { get; set; }
    /// <summary>The fork's older cap on text length, in tokens (0 = none).</summary>
    public int MaxTextLen { get; set; }
    public int NumWorkers { get; set; } = 2;
    public int ShuffleSize { get; set; } = 1000;
    public int SortSize { get; set; } = 500;
    /// <summary>Batches of similar lengths (sorted, cut, batch order shuffled per epoch); false keeps manifest order within shuffled batches.</summary>
    public bool Bucketing { get; set; } = true;
    public bool UseSpkEmbedding { get; set; }
    /// <summary>The fork's parquet list names; accepted and reported, not used.</summary>
    [ConfigPath] public string? TrainData { get; set; }
    [ConfigPath] public string? CvData { get; set; }
    public int PrefetchFactor { get; set; } = 100;
    public bool PinMemory { get; set; } = true;
}

/// <summary><c>data.filter:</c> CosyVoice's length filter. Audio lengths are in 10 ms frames, token lengths in dual frames.</summary>
public sealed class FilterConfig
{
    public int MaxLength { get; set; } = 40960;
    public int MinLength { get; set; } = 100;
    public int TokenMaxLength { get; set; } = 200;
    public int TokenMinLength { get; set; } = 1;
}

/// <summary><c>optim:</c> AdamW with linear warm-up.</summary>
public sealed class OptimConfig
{
    public double LrLlm { get; set; } = 1e-4;
    public double LrFlow { get; set; } = 1e-5;
    public int WarmupSteps { get; set; } = 3000;
    public double WeightDecay { get; set; } = 0.01;
    public double GradClip { get; set; } = 5.0;
    public int AccumGrad { get; set; } = 4;
    /// <summary>After warm-up: <c>constant</c> (the fork's WarmupLR) or <c>cosine</c> decay to <see cref="MinLrRatio"/> × lr at the stage's end.</summary>
    public string Scheduler { get; set; } = "constant";
    /// <summary>Floor of the cosine schedule as a fraction of the stage's lr.</summary>
    public double MinLrRatio { get; set; } = 0.1;
    /// <summary>Exponential moving average of the trainable weights (0 = off, e.g. 0.999); validation and checkpoints then use the average.</summary>
    public double EmaDecay { get; set; }
}

/// <summary><c>loss:</c> weights of the joint stage.</summary>
public sealed class LossConfig
{
    public double LlmWeight { get; set; } = 0.4;
    public double FlowWeight { get; set; } = 0.6;
}

/// <summary><c>stage:</c> epochs per stage and the joint learning-rate scale.</summary>
public sealed class StageConfig
{
    public int Stage1Epochs { get; set; } = 25;
    public int Stage2Epochs { get; set; } = 25;
    public int Stage3Epochs { get; set; } = 5;
    public double JointLrScale { get; set; } = 0.1;
}

/// <summary><c>save:</c> checkpoint policy.</summary>
public sealed class SaveConfig
{
    [ConfigPath] public string CkptDir { get; set; } = "ckpt/finetune";
    public bool SaveBest { get; set; } = true;
    /// <summary>Epochs between <c>*_epoch_N.pt</c> checkpoints (0 = none).</summary>
    public int SaveInterval { get; set; } = 5;
    /// <summary>Steps between saves of the resumable state in <c>last/</c> besides every epoch's end (0 = epoch ends only).</summary>
    public int StateInterval { get; set; } = 100;
    /// <summary>Epochs between audio samples (validation records cloned to WAV and mel in the run folder; 0 = off).</summary>
    public int SampleInterval { get; set; }
    /// <summary>Validation records cloned at each sample epoch.</summary>
    public int SampleCount { get; set; } = 2;
}

/// <summary>Marks a string property as a path resolved against the config file's folder.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigPathAttribute : Attribute;

/// <summary>Marks a property that is not read from YAML.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigIgnoreAttribute : Attribute;
