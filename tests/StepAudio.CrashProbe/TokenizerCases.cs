using StepAudio.Audio;
using StepAudio.Tokenizers;
using StepAudio.Tokenizers.FrontEnds;
using StepAudio.Tokenizers.Onnx;
using StepAudio.Tokenizers.Paraformer;
using StepAudio.Tokenizers.Released;
using static TorchSharp.torch;

namespace StepAudio.CrashProbe;

/// <summary>Wrong inputs for the real tokenizer's entry points: front ends, ONNX runners, the codebook, CAM++.</summary>
static class TokenizerCases
{
    public static IEnumerable<ProbeCase> All(string repoRoot, Func<string, string, Action, ProbeCase> @case)
    {
        string Onnx(string name) => Path.Combine(repoRoot, "tests", "fixtures", "onnx", name);
        var codebookPath = Path.Combine(repoRoot, "tests", "fixtures", "codebook", "linguistic_tokenizer.npy");
        TokenizerInput Clip(float[] samples, int rate) => new(AudioClip.Mono(samples, rate), zeros(80, 1), "probe.wav");

        yield return @case("campplus-encoder.short-clip", "is too short for a speaker embedding", () =>
        {
            using var encoder = new CamPlusPlusEncoder(Onnx("tiny_campplus.onnx"));
            encoder.Embed(Clip(new float[100], 24000));
        });
        yield return @case("campplus-encoder.missing-file", "campplus.onnx", () => new CamPlusPlusEncoder("/nonexistent/campplus.onnx"));
        yield return @case("campplus.embed.bins", "fbank must be", () =>
        {
            using var cam = new CamPlusPlusOnnx(Onnx("tiny_campplus.onnx"));
            cam.Embed(zeros(1, 10, 40));
        });
        yield return @case("vq06.encode.int-audio", "audio must be", () =>
        {
            using var vq06 = new S3Vq06Tokenizer(Onnx("tiny_vq06.onnx"));
            vq06.Encode(zeros(new long[] { 16000 }, ScalarType.Int64));
        });
        yield return @case("whisper-logmel.short-audio", "too short", () =>
        {
            using var mel = new WhisperLogMel();
            mel.Power(zeros(100));
        });
        yield return @case("codebook.encode.width", "features must be [T, 32] to match the codebook [64, 32], got [5, 33]", () =>
        {
            using var codebook = LinguisticCodebook.Load(codebookPath);
            codebook.Encode(zeros(5, codebook.Dim + 1));
        });
        yield return @case("codebook.load.not-npy", "does not start with the NumPy magic", () =>
        {
            var path = Path.Combine(Path.GetTempPath(), "probe-not-npy.npy");
            File.WriteAllText(path, "not an npy file");
            try { LinguisticCodebook.Load(path); }
            finally { File.Delete(path); }
        });
        yield return @case("vq02.load.missing-folder", "the FunASR model folder does not exist",
            () => Vq02Tokenizer.Load("/nonexistent/speech_paraformer", codebookPath));
        yield return @case("sanm.forward-chunk.width", "feats must be [1, T ≥ 1, 560]", () =>
        {
            using var encoder = new SanmEncoderChunkOpt(new ParaformerEncoderConfig { InputSize = 560, OutputSize = 8, AttentionHeads = 2, LinearUnits = 8, NumBlocks = 1 });
            using var state = new SanmStreamState(560, [0, 4, 5], 4);
            encoder.ForwardChunk(zeros(1, 4, 80), state);
        });
        yield return @case("tokenizer-preprocess.empty", "the prompt waveform is empty", () => TokenizerPreprocess.Preprocess([], 24000));
        yield return @case("kaldi-fbank.short", "100 samples are fewer than one 400-sample frame", () =>
        {
            using var wav = zeros(100);
            SpeechFrontEnds.CamPlusPlus(wav, SpeechFrontEnds.CamPlusPlusOptions);
        });
    }
}
