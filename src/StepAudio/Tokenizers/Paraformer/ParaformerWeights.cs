using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>Loads the encoder part of a FunASR Paraformer checkpoint.</summary>
public static class ParaformerWeights
{
    /// <summary>Prefix of the encoder's keys in the whole-model state dict (<c>encoder.encoders0.0.self_attn.linear_q_k_v.weight</c>).</summary>
    public const string EncoderPrefix = "encoder.";

    /// <summary>
    /// Copies the <c>encoder.*</c> tensors of <paramref name="path"/> (FunASR's <c>model.pt</c>, a PyTorch zip state
    /// dict, or a <c>.safetensors</c> file) into <paramref name="encoder"/>. The decoder, predictor and any other keys
    /// are ignored; a missing, extra or mis-shaped encoder key is an <see cref="InputException"/> naming the file and key.
    /// </summary>
    public static void Load(SanmEncoderChunkOpt encoder, string path)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (!File.Exists(path))
            throw new InputException(path, null, null, "the Paraformer checkpoint does not exist",
                "download model.pt of the Paraformer model (Step-Audio-Tokenizer) next to config.yaml");
        var all = StateDictFile.Load(path);
        try
        {
            var subset = all.Where(kv => kv.Key.StartsWith(EncoderPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[EncoderPrefix.Length..], kv => kv.Value);
            var report = StateDictLoader.Compare(path,
                encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape),
                subset.ToDictionary(kv => kv.Key, kv => kv.Value.shape));
            if (report.Missing.Count > 0)
                throw new InputException(path, null, EncoderPrefix + report.Missing[0],
                    $"is missing (the file lacks {report.Missing.Count} encoder key(s))",
                    "use the model.pt that belongs to this config.yaml");
            if (report.Mismatched.Count > 0)
            {
                var m = report.Mismatched[0];
                throw new InputException(path, null, EncoderPrefix + m.Key,
                    $"has shape [{string.Join(",", m.Found)}] but config.yaml gives [{string.Join(",", m.Expected)}]",
                    "use the model.pt that belongs to this config.yaml");
            }
            if (report.Unexpected.Count > 0)
                throw new InputException(path, null, EncoderPrefix + report.Unexpected[0],
                    "is not a parameter of the encoder config.yaml describes (more blocks, or another encoder?)",
                    "use the model.pt that belongs to this config.yaml");
            StateDictLoader.Load(encoder, subset, path);
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }
}
