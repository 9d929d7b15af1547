using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

/// <summary>Upstream reference audio in tests/fixtures/audio (see its README for provenance).</summary>
static class AudioFixtures
{
    public static string Dir => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "audio");

    /// <summary>torchaudio 0.13.1 outputs copied from the tokenizer_preprocess parity fixture.</summary>
    public static Dictionary<string, Tensor> TorchaudioResample() =>
        SafetensorsFile.LoadAll(Path.Combine(Dir, "torchaudio_resample_24k_16k.safetensors"));

    public static float[] Row(Tensor t) => t.reshape(-1).data<float>().ToArray();
}
