using StepAudio.Config;

namespace StepAudio.Tokenizers.Released;

/// <summary>
/// The files of the released audio tokenizer (HF <c>stepfun-ai/Step-Audio-Tokenizer</c>, config key
/// <c>model.tokenizer.model_path</c>) as upstream tokenizer.py looks for them: the FunASR Paraformer folder
/// <c>dengcunqin/speech_paraformer-large_asr_nat-zh-cantonese-en-16k-vocab8501-online/</c> (<c>model.pt</c>,
/// <c>config.yaml</c>, <c>am.mvn</c>), <c>linguistic_tokenizer.npy</c> and <c>speech_tokenizer_v1.onnx</c>.
/// </summary>
public sealed record StepAudioTokenizerFiles(string Root, string FunAsrModelDir, string Codebook, string Vq06Onnx)
{
    /// <summary>Upstream's <c>funasr_model_id</c>, a folder under the tokenizer folder.</summary>
    public const string FunAsrModelId = "dengcunqin/speech_paraformer-large_asr_nat-zh-cantonese-en-16k-vocab8501-online";
    /// <summary>The vq02 k-means centroids.</summary>
    public const string CodebookFileName = "linguistic_tokenizer.npy";
    /// <summary>The vq06 S3 tokenizer.</summary>
    public const string Vq06FileName = "speech_tokenizer_v1.onnx";
    /// <summary>The files the Paraformer folder must hold.</summary>
    public static readonly string[] FunAsrFileNames = ["model.pt", "config.yaml", "am.mvn"];

    /// <summary>Every file, for the identity hash.</summary>
    public string[] AllFiles => [.. FunAsrFileNames.Select(f => Path.Combine(FunAsrModelDir, f)), Codebook, Vq06Onnx];

    /// <summary>The layout under <c>model.tokenizer.model_path</c>; a missing file is an error on that key naming it.</summary>
    public static StepAudioTokenizerFiles Locate(StepAudioConfig config)
    {
        const string key = "model.tokenizer.model_path";
        var root = config.Model.Tokenizer.ModelPath ?? throw config.Error(key, "is not set", "point it at the Step-Audio-Tokenizer folder");
        var files = new StepAudioTokenizerFiles(root, Path.Combine(root, FunAsrModelId),
            Path.Combine(root, CodebookFileName), Path.Combine(root, Vq06FileName));
        foreach (var file in files.AllFiles)
            RequireFile(config, key, file, "download stepfun-ai/Step-Audio-Tokenizer (e.g. `huggingface-cli download " +
                "stepfun-ai/Step-Audio-Tokenizer --local-dir DIR`) and point model.tokenizer.model_path at DIR");
        return files;
    }

    internal static void RequireFile(StepAudioConfig config, string key, string file, string fix)
    {
        if (!File.Exists(file))
            throw config.Error(key, $"points at a folder without {file}: audio tokens can't be extracted without it", fix);
    }
}

/// <summary>CAM++ (<c>campplus.onnx</c>) in the flow's <c>CosyVoice-300M-25Hz</c> folder (<c>model.flow.model_path</c>).</summary>
public static class CamPlusPlusFiles
{
    /// <summary>The file name upstream loads.</summary>
    public const string FileName = "campplus.onnx";

    /// <summary>The CAM++ file of the config; missing → an error on <c>model.flow.model_path</c>.</summary>
    public static string Locate(StepAudioConfig config)
    {
        const string key = "model.flow.model_path";
        var root = config.Model.Flow.ModelPath ?? throw config.Error(key,
            "is not set, but the real audio tokenizer (model.tokenizer.model_path) needs CAM++ from the flow's folder for speaker embeddings",
            "point model.flow.model_path at Step-Audio-EditX/CosyVoice-300M-25Hz");
        var path = Path.Combine(root, FileName);
        StepAudioTokenizerFiles.RequireFile(config, key, path,
            "point model.flow.model_path at Step-Audio-EditX/CosyVoice-300M-25Hz, which ships campplus.onnx");
        return path;
    }
}
