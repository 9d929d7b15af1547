using StepAudio.Audio;
using StepAudio.Features;
using StepAudio.Flow;
using StepAudio.Inference;
using StepAudio.Llm;
using StepAudio.Training;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.CrashProbe;

/// <summary>A wrong call and a fragment its exception message must contain.</summary>
sealed record ProbeCase(string Name, string Expect, Action Run);

/// <summary>
/// One wrong input per case for every public entry point a notebook calls. Each case changes one thing of an
/// otherwise valid call, so the exception must come from that thing's check.
/// </summary>
static class Cases
{
    public static IEnumerable<ProbeCase> All(TinyModels m) =>
        Llm(m).Concat(FlowCases.All(m.Flow)).Concat(Audio(m)).Concat(Pipeline(m))
            .Concat(TokenizerCases.All(m.RepoRoot, Case));

    static ProbeCase Case(string name, string expect, Action run) => new(name, expect, () =>
    {
        using var scope = NewDisposeScope();
        run();
    });

    static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    static IEnumerable<ProbeCase> Llm(TinyModels m)
    {
        var llm = m.Llm;
        var ids = () => Ids([1, 5, 7, 9, 11], [2, 4, 6, 8, 10]);
        yield return Case("llm.forward.float-ids", "input_ids must be int64 [batch, seq]; got float32 [2, 5]",
            () => llm.forward(ids().to_type(ScalarType.Float32)));
        yield return Case("llm.forward.rank1-ids", "input_ids must be int64 [batch, seq]; got int64 [5]", () => llm.forward(ids()[0]));
        yield return Case("llm.forward.id-past-vocab", "token id 96 is outside the vocabulary [0, 96)", () => llm.forward(Ids([1, 96])));
        yield return Case("llm.forward.negative-id", "token id -1 is outside the vocabulary", () => llm.forward(Ids([-1, 3])));
        yield return Case("llm.forward.empty-ids", "input_ids is empty", () => llm.forward(zeros(1, 0, ScalarType.Int64)));
        yield return Case("llm.forward.labels-shape", "labels must be integer [2, 5]; got int64 [2, 4]",
            () => llm.forward(ids(), ids().narrow(1, 0, 4)));
        yield return Case("llm.forward.label-past-vocab", "labels: token id 500 is outside the vocabulary [0, 96)",
            () => llm.forward(ids(), Ids([-100, 500, 3, 4, 5], [-100, -100, 1, 2, 3])));
        yield return Case("llm.forward.cache-batch", "the KV cache holds batch 1 but input_ids has batch 2", () =>
        {
            using var cache = new Step1KvCache(llm.Config.NumHiddenLayers);
            llm.forward(Ids([1, 2, 3]), cache);
            llm.forward(ids(), cache);
        });
        yield return Case("llm.forward.cache-layers", "the KV cache has 5 layers but the model has 2", () =>
        {
            using var cache = new Step1KvCache(5);
            llm.forward(ids(), cache);
        });
        yield return Case("llm.loss.logits-rank", "logits must be floating-point [batch, seq, vocab]; got float32 [2, 96]",
            () => CausalLmLoss.Compute(zeros(2, 96), ids()));
        yield return Case("llm.generate.prompt-past-vocab", "prompt id 400 at position 1 is outside the vocabulary [0, 96)",
            () => Step1Generator.Generate(llm, [1, 400, 3], Step1GenerationOptions.Greedy with { MaxNewTokens = 2 }));
        yield return Case("llm.generate.empty-prompt", "the prompt is empty", () => Step1Generator.Generate(llm, []));
        yield return Case("lora.inject.unknown-target", "'qkv' is not a Step1 linear layer",
            () => Step1Lora.Inject(llm, new LoraConfig { TargetModules = ["q_proj", "qkv"] }));
    }

    static IEnumerable<ProbeCase> Audio(TinyModels m)
    {
        var hift = m.Hift;
        yield return Case("hift.inference.mel-bins", "mel must be floating-point [batch, 80, frames]; got float32 [1, 40, 10]",
            () => hift.Inference(zeros(1, 40, 10)));
        yield return Case("hift.inference.int-mel", "mel must be floating-point [batch, 80, frames]; got int64 [1, 80, 10]",
            () => hift.Inference(zeros(1, 80, 10, ScalarType.Int64)));
        yield return Case("hift.inference.no-frames", "mel has no frames", () => hift.Inference(zeros(1, 80, 0)));
        yield return Case("hift.synthesize.rank2", "got float32 [80, 10]", () => hift.Synthesize(zeros(80, 10)));
        yield return Case("hift.decode.source-length", "source must be floating-point [batch=1, 1, samples=4800]; got float32 [1, 1, 100]",
            () => hift.Decode(zeros(1, 80, 10), zeros(1, 1, 100)));
        yield return Case("hift.source.f0-rank", "f0 must be floating-point [batch, frames]; got float32 [1, 1, 10]",
            () => hift.Source(zeros(1, 1, 10)));
        using var griffin = new GriffinLim(iterations: 1);
        var gl = griffin;
        yield return Case("griffinlim.mel-bins", "mel must be floating-point [batch, 80, frames]; got float32 [1, 64, 10]",
            () => gl.Synthesize(zeros(1, 64, 10)));
        using var mel = new MelSpectrogram();
        var ms = mel;
        yield return Case("mel.compute.int16-wav", "wav must be float32 [batch, samples]", () => ms.Compute(zeros(1, 24000, ScalarType.Int16)));
        yield return Case("mel.compute.rank3-wav", "got float32 [1, 1, 24000]", () => ms.Compute(zeros(1, 1, 24000)));
        yield return Case("mel.compute.empty-audio", "audio of 0 samples is too short for the mel", () => ms.Compute(Array.Empty<float>()));
        yield return Case("mel.from-magnitude.bins", "magnitude must be floating-point [batch, 961, frames]; got float32 [1, 80, 10]",
            () => ms.FromMagnitude(zeros(1, 80, 10)));
        using var features = new SpeechFeatureExtractor();
        var fx = features;
        yield return Case("features.extract.empty-clip", "audio is too short for the log-mel",
            () => fx.Extract(AudioClip.Mono([], 24000), "empty.wav"));
    }

    static IEnumerable<ProbeCase> Pipeline(TinyModels m)
    {
        var tts = m.Tts;
        yield return Case("tts.clone.blank-target-text", "StepAudioTts.Clone: targetText is empty",
            () => tts.Clone("prompt.wav", "hello", "  "));
        yield return Case("tts.clone.missing-wav", "cannot read the audio file", () => tts.Clone("/nonexistent/prompt.wav", "hello", "world"));
        yield return Case("tts.clone.max-seconds", "options.MaxSeconds must be positive",
            () => tts.Clone("prompt.wav", "hello", "world", new TtsOptions { MaxSeconds = 0 }));
        yield return Case("tts.edit.unknown-type", "edit type 'louder' is not one of", () => tts.Edit("in.wav", "hi", "louder", null));
        yield return Case("tts.edit.emotion-without-info", "emotion edits need editInfo", () => tts.Edit("in.wav", "hi", "emotion", null));
        yield return Case("trainer.null-config", "Trainer: config is null", () => new Trainer(null!));
        // No machine has GPU 99: without CUDA "CUDA is not available", with it "this machine has N CUDA devices".
        var cuda = ConfigWith(m, c => c.Device = "cuda:99");
        yield return Case("trainer.run.cuda-device", "is 'cuda:99', but", () => new Trainer(cuda).Run());
        var noEpochs = ConfigWith(m, c => { c.Stage.Stage1Epochs = 0; c.Stage.Stage2Epochs = 0; c.Stage.Stage3Epochs = 0; });
        yield return Case("trainer.run.no-epochs", "no epochs to train", () => new Trainer(noEpochs).Run());
    }

    static StepAudio.Config.StepAudioConfig ConfigWith(TinyModels m, Action<StepAudio.Config.StepAudioConfig> tweak)
    {
        var c = StepAudio.Config.ConfigLoader.Load(m.Config.SourcePath!);
        c.Save.CkptDir = Path.Combine(Path.GetTempPath(), "stepaudio-crashprobe-never-written");
        tweak(c);
        return c;
    }
}
