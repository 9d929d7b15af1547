using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>
/// What the vq02 path needs from a FunASR model's <c>config.yaml</c>: the <c>encoder_conf</c> of its
/// <c>SANMEncoderChunkOpt</c> and the <c>frontend_conf</c> of its <c>WavFrontendOnline</c>. Decoder, predictor and
/// training sections are ignored.
/// </summary>
public sealed record FunAsrModelConfig(ParaformerEncoderConfig Encoder, WavFrontendOnlineOptions FrontEnd)
{
    /// <summary>Reads <paramref name="path"/>; a missing file, bad YAML or a bad value is an <see cref="InputException"/> naming the key.</summary>
    public static FunAsrModelConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "the FunASR config does not exist",
                "download config.yaml of the Paraformer model (Step-Audio-Tokenizer/dengcunqin/...-online) next to model.pt");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses YAML text as if read from <paramref name="source"/>.</summary>
    public static FunAsrModelConfig Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new InputException(source, (int)e.Start.Line, null, "invalid YAML: " + e.Message, "fix the YAML syntax");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet reports some malformed flow collections this way, without a position.
            throw new InputException(source, null, null, "invalid YAML: " + e.Message, "fix the YAML syntax");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InputException(source, null, null, "is not a YAML mapping", "use the config.yaml shipped with the model");
        using var doc = JsonDocument.Parse(ToJson(root)!.ToJsonString());
        var json = doc.RootElement;
        RequireName(json, source, "encoder", "SANMEncoderChunkOpt");
        RequireName(json, source, "frontend", "WavFrontendOnline");
        var frontConf = Section(json, source, "frontend_conf");
        var frontEnd = WavFrontendOnlineOptions.FromFrontendConf(frontConf, source);
        var encoder = ParaformerEncoderConfig.FromJson(Section(json, source, "encoder_conf"), source, frontEnd.OutputSize);
        return new FunAsrModelConfig(encoder, frontEnd);
    }

    static JsonElement Section(JsonElement root, string source, string key)
    {
        if (root.TryGetProperty(key, out var e) && e.ValueKind == JsonValueKind.Object) return e.Clone();
        throw new InputException(source, null, key, root.TryGetProperty(key, out _) ? "is not a mapping" : "is missing",
            "use the config.yaml shipped with the Paraformer model");
    }

    static void RequireName(JsonElement root, string source, string key, string expected)
    {
        var value = ConfigValues.Text(root, source, "", key, "");
        if (value != expected)
            throw new InputException(source, null, key, value.Length == 0 ? "is missing" : $"is '{value}', not {expected}",
                $"the vq02 tokenizer runs FunASR's streaming Paraformer ({key}: {expected})");
    }

    /// <summary>YAML → JSON with plain scalars typed as YAML 1.1 would (ints, floats, true/false, null), quoted ones as strings.</summary>
    static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s => Scalar(s),
        _ => null,
    };

    static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
