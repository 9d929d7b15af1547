// Mirrors tts.py StepAudioTTS.clone / edit (stepfun-ai/Step-Audio-EditX): prompt audio → tokens, mel and speaker
// embedding → LLM prompt → generated audio tokens → flow (prompt mel as condition) → vocoder, at 24 kHz.
using StepAudio.Audio;
using StepAudio.Config;
using StepAudio.Features;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Nn;
using StepAudio.Tokenizers;
using StepAudio.Training;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Inference;

/// <summary>Sampling and length settings of <see cref="StepAudioTts"/>.</summary>
public sealed record TtsOptions
{
    /// <summary>LLM sampling (upstream: temperature 0.7 with the repetition-aware processor).</summary>
    public Step1GenerationOptions Generation { get; init; } = new();
    /// <summary>Longest audio the LLM may write, in seconds (41.67 tokens/s); a model that never says EOS stops here.</summary>
    public double MaxSeconds { get; init; } = 20;
    /// <summary>Seed of the LLM sampling and the flow's noise (null: a fresh draw each call).</summary>
    public long? Seed { get; init; }
    /// <summary>Euler steps of the flow (null: the config's <c>model.flow.n_timesteps</c>).</summary>
    public int? FlowSteps { get; init; }
}

/// <summary>What <see cref="StepAudioTts"/> produced: the waveform, its mel, the prompt and the generated tokens.</summary>
public sealed record TtsResult(AudioClip Audio, float[,] Mel, IReadOnlyList<int> PromptIds, IReadOnlyList<int> AudioTokens,
    bool StoppedAtEos);

/// <summary>
/// Upstream's <c>StepAudioTTS</c>: <see cref="Clone"/> speaks a text in the voice of a prompt clip, <see cref="Edit"/>
/// re-renders a clip with an emotion, style, speed, … edit, optionally several times. Works with a run's fine-tuned
/// weights (<see cref="Load"/>) or with live models during training (the trainer's audio samples).
/// </summary>
public sealed class StepAudioTts : IDisposable
{
    readonly TrainingModels models;
    readonly AudioFrontEnd frontEnd;
    readonly IVocoder vocoder;
    readonly SpeechFeatureExtractor features = new();
    readonly int flowSteps;
    readonly bool ownsModels;

    /// <summary>Uses <paramref name="models"/> (LLM and flow both needed), the audio front end and a vocoder.</summary>
    public StepAudioTts(TrainingModels models, AudioFrontEnd frontEnd, IVocoder vocoder, int flowSteps, bool ownsModels = false)
    {
        if (models.Llm is null || models.Prompts is null || models.Flow is null)
            throw new ArgumentException("clone and edit need both the LLM and the flow", nameof(models));
        this.models = models; this.frontEnd = frontEnd; this.vocoder = vocoder; this.flowSteps = flowSteps;
        this.ownsModels = ownsModels;
    }

    /// <summary>
    /// Builds the config's base models and front end and applies fine-tuned weights: those of a run folder
    /// (<c>llm_best</c>, <c>flow_best.pt</c>; a folder of runs means its newest <c>run-NNN</c>) or of explicit
    /// checkpoints; none = the base model.
    /// </summary>
    public static StepAudioTts Load(StepAudioConfig config, string? runDir = null, string? llmCheckpoint = null, string? flowCheckpoint = null)
    {
        if (runDir != null)
        {
            var full = RunFolder.Resolve(runDir);
            llmCheckpoint ??= File.Exists(Path.Combine(full, "llm_best", "llm_best.pt")) ? Path.Combine(full, "llm_best", "llm_best.pt") : null;
            flowCheckpoint ??= File.Exists(Path.Combine(full, "flow_best.pt")) ? Path.Combine(full, "flow_best.pt") : null;
            if (llmCheckpoint is null && flowCheckpoint is null)
                throw new InputException(full, null, "--run", "holds neither llm_best/llm_best.pt nor flow_best.pt",
                    "give a run folder with best checkpoints (save.save_best: true), or --llm-ckpt/--flow-ckpt");
        }
        var models = TrainingModels.Build(config, llm: true, flow: true);
        try
        {
            // The loaders' state-dict tensors are copied into the parameters; the scope frees them (~190 on the tiny models).
            using (NewDisposeScope())
            {
                if (llmCheckpoint != null) Checkpoints.Step1Export.LoadPt(models.Llm!, llmCheckpoint);
                if (flowCheckpoint != null) TrainingCheckpoints.LoadFlow(models.Flow!, flowCheckpoint);
            }
            using var cache = new FeatureCache(FeatureExtraction.CacheDirectory(config));
            var frontEnd = AudioFrontEnd.Create(config, cache);
            return new StepAudioTts(models, frontEnd, VocoderFactory.Create(config), config.Model.Flow.NTimesteps, ownsModels: true);
        }
        catch
        {
            models.Dispose();
            throw;
        }
    }

    /// <summary>The audio tokenizer and speaker encoder the prompts go through.</summary>
    public AudioFrontEnd FrontEnd => frontEnd;

    /// <summary>
    /// What a manifest record asks for, as training taught it: <see cref="Clone"/> for clone and pronunciation records
    /// (prompt clip and text, target text), else one <see cref="Edit"/> of the prompt clip by the record's edit type
    /// and info (a paralinguistic edit's new text is its target text).
    /// </summary>
    public TtsResult Render(Data.ManifestRecord record, TtsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.EditType is Data.EditType.Clone or Data.EditType.Pronunciation
            ? Clone(record.PromptAudioPath, record.PromptText ?? "", record.TargetText ?? "", options)
            : Edit(record.PromptAudioPath, record.PromptText ?? "", Data.EditTypes.ToManifestName(record.EditType), record.EditInfo,
                record.EditType == Data.EditType.Paralinguistic ? record.TargetText : null, 1, options);
    }

    /// <summary>
    /// Speaks <paramref name="targetText"/> in the voice of <paramref name="promptWav"/> (whose transcript is
    /// <paramref name="promptText"/>), as upstream's <c>clone</c>.
    /// </summary>
    public TtsResult Clone(string promptWav, string promptText, string targetText, TtsOptions? options = null)
    {
        const string api = "StepAudioTts.Clone";
        TensorChecks.Text(promptWav, api, nameof(promptWav));
        ArgumentNullException.ThrowIfNull(promptText);
        TensorChecks.Text(targetText, api, nameof(targetText));
        CheckOptions(options, api);
        var prompt = Prompt(promptWav);
        return Speak(ClonePrompt(prompt, promptText, targetText), prompt, options ?? new TtsOptions());
    }

    /// <summary>The LLM prompt ids <see cref="Clone"/> builds (everything before the model's first audio token).</summary>
    public List<int> ClonePrompt(string promptWav, string promptText, string targetText) =>
        ClonePrompt(Prompt(promptWav), promptText, targetText);

    /// <summary>The LLM prompt ids <see cref="Edit"/>'s first iteration builds.</summary>
    public List<int> EditPrompt(string inputWav, string audioText, string editType, string? editInfo, string? text = null) =>
        models.Prompts!.Edit(editType, editInfo, audioText, Prompt(inputWav).Tokens, text);

    List<int> ClonePrompt(PromptFeatures prompt, string promptText, string targetText)
    {
        var speaker = Step1PromptBuilder.SpeakerId(promptText, TrainingDataBuilder.FlatSamples(prompt.Raw));
        return models.Prompts!.Clone(speaker, promptText, prompt.Tokens, targetText);
    }

    /// <summary>
    /// Edits <paramref name="inputWav"/> (transcript <paramref name="audioText"/>) as upstream's <c>edit</c>: the edit
    /// prompt for <paramref name="editType"/>/<paramref name="editInfo"/> (<paramref name="text"/>: the new text of a
    /// paralinguistic edit); each of <paramref name="iterations"/> re-edits the previous result with the same text.
    /// </summary>
    public TtsResult Edit(string inputWav, string audioText, string editType, string? editInfo, string? text = null,
        int iterations = 1, TtsOptions? options = null)
    {
        const string api = "StepAudioTts.Edit";
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), $"{api}: at least one iteration; got {iterations}");
        TensorChecks.Text(inputWav, api, nameof(inputWav));
        CheckEdit(editType, editInfo, text, api);
        CheckOptions(options, api);
        options ??= new TtsOptions();
        var source = Prompt(inputWav);
        TtsResult? result = null;
        for (int i = 0; i < iterations; i++)
        {
            var ids = models.Prompts!.Edit(editType, editInfo, audioText, source.Tokens, text);
            result = Speak(ids, source, options with { Seed = options.Seed + i });
            if (i + 1 < iterations) source = PromptFrom(result.Audio, inputWav + $" (iteration {i + 1})");
        }
        return result!;
    }

    // Before any audio is read: a wrong edit request should not cost a tokenizer pass.
    static void CheckEdit(string editType, string? editInfo, string? text, string api)
    {
        TensorChecks.Text(editType, api, nameof(editType));
        if (!Step1PromptTemplates.EditTypes.Contains(editType))
            throw new ArgumentException($"{api}: edit type '{editType}' is not one of {string.Join(", ", Step1PromptTemplates.EditTypes)} " +
                                        "(use Clone for cloning)", nameof(editType));
        if (editType is "emotion" or "speed" or "style" && string.IsNullOrWhiteSpace(editInfo))
            throw new ArgumentException($"{api}: {editType} edits need editInfo (the target {editType}, or \"remove\")", nameof(editInfo));
        if (editType == "paralinguistic" && string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"{api}: paralinguistic edits need text (the new text with its non-verbal tags)", nameof(text));
    }

    static void CheckOptions(TtsOptions? o, string api)
    {
        if (o is null) return;
        if (!(o.MaxSeconds > 0))
            throw new ArgumentOutOfRangeException(nameof(o.MaxSeconds), $"{api}: options.MaxSeconds must be positive; got {o.MaxSeconds}");
        if (o.FlowSteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(o.FlowSteps), $"{api}: options.FlowSteps must be at least 1; got {o.FlowSteps}");
        ArgumentNullException.ThrowIfNull(o.Generation);
    }

    sealed record PromptFeatures(AudioClip Raw, AudioClip Clip, float[,] Mel, int[] Tokens, float[] Embedding);

    PromptFeatures Prompt(string wavPath) => PromptFrom(WavFile.Read(wavPath), wavPath);

    PromptFeatures PromptFrom(AudioClip raw, string source)
    {
        var clip = PromptAudio.Preprocess(raw);
        using var mel = features.Extract(clip, source);
        var input = new TokenizerInput(clip, mel, source);
        var tokens = frontEnd.Tokenizer.Tokenize(input);
        var embedding = frontEnd.SpeakerEncoder.Embed(input);
        return new PromptFeatures(raw, clip, TensorArrays.ToFloat2D(mel), tokens, embedding);
    }

    TtsResult Speak(List<int> promptIds, PromptFeatures prompt, TtsOptions o)
    {
        var llm = models.Llm!;
        int maxTokens = (int)Math.Ceiling(o.MaxSeconds * 125 / 3.0);   // 5 tokens per 0.12 s
        var generation = o.Generation with { MaxNewTokens = Math.Min(o.Generation.MaxNewTokens ?? int.MaxValue, maxTokens), Seed = o.Seed ?? o.Generation.Seed };
        var generated = Step1Generator.Generate(llm, promptIds, generation);
        var audio = generated.AudioTokens(llm.Config.AudioTokenOffset).Where(t => t is >= 0 and < 5120).Select(t => (int)t).ToArray();
        if (audio.Length == 0)
            throw new InvalidOperationException("the LLM wrote no audio tokens (it may not be trained for this prompt; try another --seed)");
        var mel = Synthesize(audio, prompt, o.Seed);
        var wave = vocoder.SynthesizeClip(mel);
        return new TtsResult(wave, TensorArrays.ToFloat2D(mel[0]), promptIds, audio, generated.StoppedAtEos);
    }

    /// <summary>
    /// The flow and vocoder half (<c>token2wav_nonstream</c>): <paramref name="tokens"/> (mixed stream) rendered with
    /// the prompt's tokens, mel and speaker embedding as the condition. Returns the mel [1, 80, T].
    /// </summary>
    Tensor Synthesize(int[] tokens, PromptFeatures prompt, long? seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flow = models.Flow!;
        flow.eval();
        var device = flow.Device;
        var token = DualCodebookTokens.ReshapeTensor(tokens).to(device);
        var promptToken = DualCodebookTokens.ReshapeTensor(prompt.Tokens).to(device);
        long tp = promptToken.shape[1];
        var promptMel = tensor(prompt.Mel, device: device).transpose(0, 1).unsqueeze(0);  // [1, T_mel, 80]
        long promptFrames = Math.Min(promptMel.shape[1], 2 * tp);
        promptMel = promptMel.narrow(1, 0, promptFrames);
        if (promptFrames < 2 * tp)
            promptMel = nn.functional.pad(promptMel, new long[] { 0, 0, 0, 2 * tp - promptFrames });
        var embedding = tensor(prompt.Embedding, device: device).unsqueeze(0);
        using var g = seed is { } s ? new Generator((ulong)s + 17) : null;
        var noise = randn(new long[] { 1, flow.Config.OutputSize, 2 * (tp + token.shape[1]) }, generator: g);   // CPU draw: same on any device
        var mel = flow.Inference(token, tensor(new[] { token.shape[1] }, device: device), promptToken, tensor(new[] { tp }, device: device),
            promptMel, tensor(new[] { 2 * tp }, device: device), embedding, noise.to(device), flowSteps);
        return mel.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        features.Dispose();
        vocoder.Dispose();
        if (ownsModels)
        {
            models.Dispose();
            frontEnd.Dispose();
        }
    }
}
