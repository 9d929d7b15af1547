using System.Text.Json;
using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>step1_prompt</c>: the prompt ids upstream's tts.py builds for clone and every edit type, the 2:3 audio-token
/// interleave, the speaker id, and the derived (§1.6) training examples — all exact. Cases come from cases.json.
/// </summary>
public sealed class Step1PromptParity : IParityComponent
{
    public string Component => "step1_prompt";

    public void Run(ParityFixture f, ParityReport r)
    {
        var tok = Step1TextTokenizer.Load(f.File_(f.Cfg("tokenizer.file").GetString()!));
        var special = f.Cfg("prompt_special_ids");
        var builder = new Step1PromptBuilder(tok, special.GetProperty("bos").GetInt32(),
            special.GetProperty("bot").GetInt32(), special.GetProperty("eot").GetInt32());
        int tinyOffset = f.Cfg("tokenizer.audio_token_offset").GetInt32();
        int eos = special.GetProperty("generation_eos").GetInt32();
        using var doc = JsonDocument.Parse(File.ReadAllText(f.File_("cases.json")));
        var prompts = new Dictionary<string, List<int>>();
        foreach (var c in doc.RootElement.EnumerateObject())
        {
            var name = c.Name;
            var cs = c.Value;
            var tokens = Step1AudioTokens.Interleave(Longs(f.In($"{name}.audio_codes_vq02")),
                Longs(f.In($"{name}.audio_codes_vq06")));
            r.Compare($"{name}.audio_token_n", tensor(tokens.Select(n => (long)n).ToArray()));
            r.Compare($"{name}.vq0206_ids", tensor(Step1AudioTokens.ToIds(tokens, Step1Config.StepAudioEditX.AudioTokenOffset)));
            List<int> ids;
            if (Str(cs, "kind") == "clone")
            {
                var wav = f.In($"{name}.prompt_wav").contiguous().data<float>().ToArray();
                var speaker = Step1PromptBuilder.SpeakerId(Str(cs, "prompt_text")!, wav);
                r.Check(speaker == Str(cs, "speaker"), $"{name}: speaker {speaker} != {Str(cs, "speaker")}");
                ids = builder.Clone(speaker, Str(cs, "prompt_text")!, tokens, Str(cs, "target_text")!);
            }
            else
            {
                var type = Str(cs, "edit_type")!;
                r.Check(Step1PromptTemplates.EditInstruction(type, Str(cs, "edit_info"), Str(cs, "audio_text"), Str(cs, "text"))
                        == Str(cs, "instruct_prefix"), $"{name}: instruct_prefix differs");
                ids = builder.Edit(type, Str(cs, "edit_info"), Str(cs, "audio_text"), tokens, Str(cs, "text"));
            }
            prompts[name] = ids;
            r.Compare($"{name}.prompt_ids", tensor(ids.Select(i => (long)i).ToArray()));
        }
        foreach (var key in f.IoKeys("derived.").Where(k => k.EndsWith(".input_ids", StringComparison.Ordinal)))
        {
            var name = key["derived.".Length..^".input_ids".Length];
            var target = Step1AudioTokens.Interleave(Longs(f.In($"derived.{name}.target_audio_codes_vq02")),
                Longs(f.In($"derived.{name}.target_audio_codes_vq06")));
            var ex = Step1TrainingExample.Build(prompts[name], target, tinyOffset, eos);
            r.Compare(key, tensor(ex.InputIds));
            r.Compare($"derived.{name}.labels", tensor(ex.Labels));
        }
    }

    static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();
}
