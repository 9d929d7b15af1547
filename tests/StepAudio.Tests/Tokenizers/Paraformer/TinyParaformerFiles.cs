using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StepAudio.Checkpoints;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers.Paraformer;

/// <summary>
/// A tiny FunASR Paraformer model folder in the real layout (<c>model.pt</c>, <c>config.yaml</c>, <c>am.mvn</c>) built
/// from the committed paraformer_encoder parity fixture: its random encoder weights under the real <c>encoder.*</c>
/// names plus a stand-in <c>decoder.*</c> tensor (the real file also holds decoder and predictor weights), its
/// encoder_conf, and the fbank/LFR settings and am.mvn of the kaldi_fbank fixture it names.
/// </summary>
public static class TinyParaformerFiles
{
    /// <summary>The committed paraformer_encoder fixture.</summary>
    public static string FixtureDir => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "parity", "paraformer_encoder");
    static string KaldiFbankDir => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "parity", "kaldi_fbank");

    /// <summary>The fixture's 64 × 32 codebook as upstream's <c>linguistic_tokenizer.npy</c>.</summary>
    public static string CodebookPath => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "codebook", "linguistic_tokenizer.npy");

    /// <summary>
    /// Writes <c>model.pt</c>, <c>config.yaml</c> and <c>am.mvn</c> into <paramref name="dir"/> (created if needed).
    /// <paramref name="dropKey"/> leaves one stored key out (to test the missing-key error).
    /// </summary>
    public static void Write(string dir, string? dropKey = null)
    {
        Directory.CreateDirectory(dir);
        var weights = SafetensorsFile.LoadAll(Path.Combine(FixtureDir, "weights.safetensors"));
        try
        {
            var table = new Hashtable();
            foreach (var (k, t) in weights)
                if (k != dropKey) table[k] = t;
            table["decoder.embed.0.weight"] = ones(3, 4);
            PyTorchPickler.PickleStateDict(Path.Combine(dir, "model.pt"), table);
            ((Tensor)table["decoder.embed.0.weight"]!).Dispose();
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        File.WriteAllText(Path.Combine(dir, "config.yaml"), ConfigYaml());
        File.Copy(Path.Combine(KaldiFbankDir, "am.mvn"), Path.Combine(dir, "am.mvn"), overwrite: true);
    }

    /// <summary>
    /// The config.yaml text: encoder_conf as the fixture stores it (without input_size, which FunASR derives from the
    /// front end), frontend_conf from the kaldi_fbank 'paraformer' section.
    /// </summary>
    public static string ConfigYaml()
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "fixture.json")));
        using var fbank = JsonDocument.Parse(File.ReadAllText(Path.Combine(KaldiFbankDir, "fixture.json")));
        var encoderConf = fixture.RootElement.GetProperty("config").GetProperty("encoder_conf");
        var p = fbank.RootElement.GetProperty("config").GetProperty("paraformer");
        var yaml = new StringBuilder("model: ParaformerStreaming\nencoder: SANMEncoderChunkOpt\nencoder_conf:\n");
        foreach (var e in encoderConf.EnumerateObject().Where(e => e.Name != "input_size"))
            yaml.Append(e.Value.ValueKind == JsonValueKind.Array
                ? $"    {e.Name}:\n" + string.Concat(e.Value.EnumerateArray().Select(v => $"    - {v.GetRawText()}\n"))
                : $"    {e.Name}: {Scalar(e.Value)}\n");
        yaml.Append("decoder: ParaformerSANMDecoder\ndecoder_conf:\n    attention_heads: 4\n    num_blocks: 1\n");
        yaml.Append("frontend: WavFrontendOnline\nfrontend_conf:\n")
            .Append(Inv($"    fs: {p.GetProperty("sample_frequency").GetDouble()}\n"))
            .Append($"    window: {p.GetProperty("window_type").GetString()}\n")
            .Append($"    n_mels: {p.GetProperty("num_mel_bins").GetInt32()}\n")
            .Append(Inv($"    frame_length: {p.GetProperty("frame_length_ms").GetDouble()}\n"))
            .Append(Inv($"    frame_shift: {p.GetProperty("frame_shift_ms").GetDouble()}\n"))
            .Append("    dither: 1.0\n")
            .Append($"    lfr_m: {p.GetProperty("lfr_m").GetInt32()}\n")
            .Append($"    lfr_n: {p.GetProperty("lfr_n").GetInt32()}\n");
        return yaml.ToString();
    }

    static string Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText(),
    };

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
