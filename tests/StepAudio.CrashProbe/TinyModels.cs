using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Inference;
using StepAudio.Llm;
using StepAudio.Tokenizers;
using StepAudio.Training;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.CrashProbe;

/// <summary>Small random-weight models the cases call: Step1, flow and HiFT at test sizes, and a TTS on configs/tiny.yaml.</summary>
sealed class TinyModels : IDisposable
{
    public TinyModels(string repoRoot)
    {
        RepoRoot = repoRoot;
        manual_seed(1);
        Config = ConfigLoader.Load(Path.Combine(repoRoot, "configs", "tiny.yaml"));
        Llm = new Step1ForCausalLM(new Step1Config
        {
            HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 6, NumAttentionGroups = 2, IntermediateSize = 40,
            VocabSize = 96, MaxSeqLen = 64, AudioTokenOffset = 32,
        });
        Flow = new CausalMaskedDiffWithXvec(FlowConfig.Tiny);
        Hift = new HiftGenerator(new HiftConfig
        {
            BaseChannels = 16, UpsampleRates = [8, 5, 3], UpsampleKernelSizes = [16, 11, 7], F0CondChannels = 16,
            ResblockKernelSizes = [3], ResblockDilationSizes = [[1]],
            SourceResblockKernelSizes = [7, 7, 11], SourceResblockDilationSizes = [[1], [1], [1]],
        });
        models = TrainingModels.Build(Config, llm: true, flow: true);
        // A front end fitted on random mels: the TTS cases must fail on their arguments, before it is used.
        var mels = Enumerable.Range(0, 2).Select(_ => randn(80, 200)).ToList();
        var tokenizer = TinyAudioTokenizer.Fit(mels, new TinyAudioTokenizerOptions { Vq02CodebookSize = 4, Vq06CodebookSize = 4 }, 0);
        var speaker = TinySpeakerEncoder.Fit(mels);
        foreach (var m in mels) m.Dispose();
        Tts = new StepAudioTts(models, new AudioFrontEnd(tokenizer, speaker), new GriffinLim(iterations: 1), 2);
    }

    readonly TrainingModels models;

    public string RepoRoot { get; }
    public StepAudioConfig Config { get; }
    public Step1ForCausalLM Llm { get; }
    public CausalMaskedDiffWithXvec Flow { get; }
    public HiftGenerator Hift { get; }
    public StepAudioTts Tts { get; }

    public void Dispose()
    {
        Tts.Dispose();
        models.Dispose();
        Llm.Dispose();
        Flow.Dispose();
        Hift.Dispose();
    }
}
