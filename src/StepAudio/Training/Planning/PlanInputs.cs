using StepAudio.Config;
using static TorchSharp.torch;

namespace StepAudio.Training.Planning;

/// <summary>
/// What a memory plan is computed from: the model sizes, the stages, the LoRA settings, the LLM base's dtype, the
/// batch limits, the longest sequences, EMA, and whether activations are checkpointed per layer.
/// </summary>
public sealed record PlanInputs
{
    /// <summary>An allowance for the tokens around the prompt's audio: system turn, speaker name, instruction, transcript.</summary>
    public const int PromptTextTokens = 128;

    /// <summary>The LLM (null when the mode builds none).</summary>
    public LlmSizes? Llm { get; init; }
    /// <summary>The flow (null when the mode builds none).</summary>
    public FlowSizes? Flow { get; init; }
    /// <summary>The stages to plan, in order.</summary>
    public IReadOnlyList<TrainingStage> Stages { get; init; } = [];
    /// <summary>LoRA rank.</summary>
    public int LoraR { get; init; } = 8;
    /// <summary>LoRA target modules.</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q_proj", "k_proj", "v_proj"];
    /// <summary>The dtype the LLM's frozen base is held in (LoRA weights and their state are always float32).</summary>
    public ScalarType LlmBaseDtype { get; init; } = ScalarType.Float32;
    /// <summary><c>data.batch_size</c>.</summary>
    public int BatchSize { get; init; } = 1;
    /// <summary><c>data.max_frames_in_batch</c> (LLM: tokens; flow: mel frames).</summary>
    public long MaxFramesInBatch { get; init; } = long.MaxValue;
    /// <summary>The longest LLM example: prompt + target tokens + EOS.</summary>
    public int LlmSequenceLength { get; init; }
    /// <summary>The longest flow example in mel frames.</summary>
    public int MelFrames { get; init; }
    /// <summary>An EMA copy of the trainable weights (<c>optim.ema_decay</c> &gt; 0).</summary>
    public bool Ema { get; init; }
    /// <summary>The LLM keeps only each decoder layer's input and recomputes the rest in backward (<c>model.llm.gradient_checkpointing</c>).</summary>
    public bool Checkpointing { get; init; }
    /// <summary>The runtime's own resident memory (<see cref="MemoryPlanner.RuntimeOverheadBytes"/>).</summary>
    public long OverheadBytes { get; init; } = MemoryPlanner.RuntimeOverheadBytes;

    /// <summary>
    /// The inputs of <paramref name="config"/>: model sizes from its presets or checkpoint headers, lengths from its
    /// data filter. <paramref name="llmBaseDtype"/> defaults to the config's <c>model.llm.base_dtype</c>, the dtype
    /// <see cref="TrainingModels"/> builds and loads the LLM's base in; <paramref name="checkpointing"/> to the config's
    /// <c>model.llm.gradient_checkpointing</c>.
    /// </summary>
    public static PlanInputs FromConfig(StepAudioConfig config, TrainMode? mode = null, ScalarType? llmBaseDtype = null, bool? checkpointing = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var stages = Trainer.StagesFor(mode ?? config.TrainMode, config.Stage);
        bool llm = stages.Any(s => s != TrainingStage.Flow), flow = stages.Any(s => s != TrainingStage.Llm);
        var (tokens, mel) = LongestExample(config.Data);
        var c = config.Model.Llm;
        return new PlanInputs
        {
            Llm = llm ? ModelSizes.Llm(config) : null, Flow = flow ? ModelSizes.Flow(config) : null, Stages = stages,
            LoraR = c.LoraR, LoraTargets = c.LoraTargetModules.ToArray(), LlmBaseDtype = llmBaseDtype ?? TrainingModels.BaseDtype(c),
            BatchSize = config.Data.BatchSize, MaxFramesInBatch = config.Data.MaxFramesInBatch,
            LlmSequenceLength = tokens, MelFrames = mel, Ema = config.Optim.EmaDecay > 0,
            Checkpointing = checkpointing ?? c.GradientCheckpointing,
        };
    }

    /// <summary>
    /// The longest example the data filter lets through: its dual frames (25 Hz, 4 filter frames of 10 ms each) capped
    /// by <c>token_max_length</c> and <c>max_length</c>; the LLM sees 5 audio tokens per 3 dual frames for the target
    /// and as many again for the prompt's audio, plus <see cref="PromptTextTokens"/> and EOS; the flow
    /// <c>token_mel_ratio</c> mel frames per dual frame.
    /// </summary>
    public static (int LlmTokens, int MelFrames) LongestExample(DataConfig data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int dual = data.Filter.TokenMaxLength;
        if (data.Filter.MaxLength > 0) dual = Math.Min(dual, data.Filter.MaxLength / 4);
        int audio = (dual * 5 + 2) / 3;
        return (2 * audio + PromptTextTokens + 1, dual * data.TokenMelRatio);
    }

    /// <summary>Items in the longest batch of examples <paramref name="length"/> long: <c>batch_size</c>, or fewer when the frame cap binds (at least 1).</summary>
    public long BatchOf(int length) => Math.Clamp(MaxFramesInBatch / Math.Max(1, length), 1, Math.Max(1, BatchSize));
}
