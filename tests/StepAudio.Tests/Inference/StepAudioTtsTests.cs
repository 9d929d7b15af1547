using System.Text.Json.Nodes;
using StepAudio.Audio;
using StepAudio.Inference;
using StepAudio.Tests.Training;
using StepAudio.Training;
using StepAudio.Vocoder;

namespace StepAudio.Tests.Inference;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // builds models from LibTorch's global generator
public class StepAudioTtsTests
{
    /// <summary>One training record of every kind in data-samples/ (clone, emotion, speed, style), paths made absolute.</summary>
    static string OneRecordPerKind()
    {
        var dir = TestPaths.NewTempDir("stepaudio-kinds");
        var seen = new HashSet<string>();
        var lines = new List<string>();
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.DataSamples, "train.jsonl")))
        {
            var o = JsonNode.Parse(line)!.AsObject();
            var kind = o["edit_type"]?.GetValue<string>() ?? "clone";
            if (!seen.Add(kind)) continue;
            foreach (var key in new[] { "prompt_audio_path", "target_audio_path" })
                o[key] = Path.GetFullPath(Path.Combine(TestPaths.DataSamples, o[key]!.GetValue<string>()));
            lines.Add(o.ToJsonString());
        }
        Assert.True(seen.Count >= 4, "data-samples should hold clone and at least three edit kinds");
        var path = Path.Combine(dir, "kinds.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void TrainingExamples_AreTheInferencePrompts_TokenForToken_UpToTheAssistantTurn()
    {
        var manifest = OneRecordPerKind();
        var config = TrainingFixture.Config(c => c.Data.TrainPath = manifest);
        using var inputs = TrainingInputs.Prepare(config, llm: true, flow: true);
        using var tts = new StepAudioTts(inputs.Models, inputs.FrontEnd, new GriffinLim(), 2);
        Assert.Equal(File.ReadAllLines(manifest).Length, inputs.Train.Llm.Count);
        foreach (var item in inputs.Train.Llm)
        {
            var r = item.Record;
            var prompt = r.EditType is StepAudio.Data.EditType.Clone or StepAudio.Data.EditType.Pronunciation
                ? tts.ClonePrompt(r.PromptAudioPath, r.PromptText!, r.TargetText!)
                : tts.EditPrompt(r.PromptAudioPath, r.PromptText!, StepAudio.Data.EditTypes.ToManifestName(r.EditType), r.EditInfo);
            var example = item.Example;
            Assert.True(example.Length > prompt.Count, $"{r.Location}: the example is no longer than the prompt");
            Assert.Equal(prompt.Select(i => (long)i), example.InputIds.Take(prompt.Count));
            Assert.All(example.Labels.Take(prompt.Count), l => Assert.Equal(-100, l));
            // The assistant turn: target audio tokens, then EOS, all scored.
            Assert.All(example.Labels.Skip(prompt.Count), l => Assert.NotEqual(-100, l));
            Assert.Equal(inputs.Models.Llm!.Config.EosTokenId, example.InputIds[^1]);
            Assert.All(example.InputIds.Skip(prompt.Count).SkipLast(1), id => Assert.InRange(id, 1024, 1024 + 5119));
        }
    }

    [Fact]
    public void Clone_WritesA24kHzClip_AndEditRunsItsIterations()
    {
        var config = TrainingFixture.Config();
        using var inputs = TrainingInputs.Prepare(config, llm: true, flow: true);
        using var tts = new StepAudioTts(inputs.Models, inputs.FrontEnd, new GriffinLim(), 2);
        var r = inputs.Train.Llm[0].Record;
        // A short forced length keeps the random model's generation quick; sampling picks audio tokens often enough.
        var options = new TtsOptions { Seed = 3, MaxSeconds = 1 };
        var clone = tts.Clone(r.PromptAudioPath, r.PromptText!, r.TargetText!, options);
        Assert.Equal(24000, clone.Audio.SampleRate);
        Assert.True(clone.Audio.Length > 0);
        Assert.Equal(80, clone.Mel.GetLength(0));
        Assert.Equal(clone.Audio.Length, clone.Mel.GetLength(1) * 480);
        var path = Path.Combine(TestPaths.NewTempDir(), "clone.wav");
        WavFile.Write(path, clone.Audio);
        Assert.Equal(24000, WavFile.Read(path).SampleRate);
        var again = tts.Clone(r.PromptAudioPath, r.PromptText!, r.TargetText!, options);
        Assert.Equal(clone.AudioTokens, again.AudioTokens);   // seeded: the same clip twice
        var edit = tts.Edit(r.TargetAudioPath, r.TargetText!, "speed", "faster", iterations: 2, options: options);
        Assert.True(edit.Audio.Length > 0);
    }
}
