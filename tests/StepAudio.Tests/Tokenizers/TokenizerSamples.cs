using StepAudio.Audio;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Tokenizers;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

/// <summary>
/// The data-samples train clips as log-mels, computed once per test run and kept as managed arrays (tests build
/// their own tensors, so no test's dispose scope can free a shared one), plus one tokenizer and speaker encoder
/// fitted on them.
/// </summary>
internal static class TokenizerSamples
{
    public sealed record Sample(string Path, string Speaker, string Name, float[] Data, int Frames)
    {
        public Tensor Mel() => tensor(Data, new long[] { 80, Frames });
        public override string ToString() => $"{Speaker}/{Name}";
    }

    static readonly Lazy<IReadOnlyList<Sample>> train = new(() =>
    {
        var paths = ManifestReader.Load(Path.Combine(TestPaths.DataSamples, "train.jsonl"))
            .SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath }).Distinct(StringComparer.Ordinal).ToList();
        using var extractor = new SpeechFeatureExtractor();
        return paths.Select(p =>
        {
            using var mel = extractor.Extract(p);
            return new Sample(p, Path.GetFileName(Path.GetDirectoryName(p)!), Path.GetFileNameWithoutExtension(p),
                mel.contiguous().data<float>().ToArray(), (int)mel.shape[1]);
        }).ToList();
    });

    /// <summary>The 24 distinct prompt/target clips of data-samples/train.jsonl.</summary>
    public static IReadOnlyList<Sample> Train => train.Value;

    public static Sample Get(string speaker, string name) => Train.Single(s => s.Speaker == speaker && s.Name == name);

    /// <summary>Fewer Lloyd iterations than the default, to keep the tests quick.</summary>
    public static TinyAudioTokenizerOptions Fast { get; } = new() { MaxIterations = 25 };

    /// <summary>A lazy sequence of fresh mel tensors, each disposed once the consumer moves on.</summary>
    public static IEnumerable<Tensor> Mels(IEnumerable<Sample> samples)
    {
        foreach (var s in samples)
        {
            using var mel = s.Mel();
            yield return mel;
        }
    }

    static readonly Lazy<TinyAudioTokenizer> tokenizer = new(() => TinyAudioTokenizer.Fit(Mels(Train), Fast, 7));
    static readonly Lazy<TinySpeakerEncoder> speaker = new(() => TinySpeakerEncoder.Fit(Mels(Train)));

    /// <summary>A tokenizer fitted on <see cref="Train"/> with <see cref="Fast"/> and seed 7.</summary>
    public static TinyAudioTokenizer Tokenizer => tokenizer.Value;

    /// <summary>A speaker encoder fitted on <see cref="Train"/>.</summary>
    public static TinySpeakerEncoder Speaker => speaker.Value;

    public static int[] Tokenize(Sample s, IAudioTokenizer t)
    {
        using var mel = s.Mel();
        return t.Tokenize(new TokenizerInput(AudioClip.Mono(Array.Empty<float>(), 24000), mel, s.Path));
    }

    public static float[] Embed(Sample s, ISpeakerEncoder e)
    {
        using var mel = s.Mel();
        return e.Embed(new TokenizerInput(AudioClip.Mono(Array.Empty<float>(), 24000), mel, s.Path));
    }
}
