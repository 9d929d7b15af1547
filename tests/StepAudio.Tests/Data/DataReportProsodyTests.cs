using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Tests.Data;

public class DataReportProsodyTests
{
    static string Line(string target, string speaker, string edit) =>
        $"{{\"prompt_audio_path\": \"p.wav\", \"prompt_text\": \"hello there\", \"target_audio_path\": \"{target}\", " +
        $"\"target_text\": \"good morning\", \"speaker_id\": \"{speaker}\", \"edit_type\": \"{edit}\"" +
        (edit == "emotion" ? ", \"edit_info\": \"happy\"" : "") + "}";

    [Fact]
    public void Target_pitch_is_grouped_by_speaker_and_edit_type()
    {
        using var d = new DataFolder();
        d.Tone("p.wav", freq: 300);            // prompts are not counted
        d.Tone("a1.wav", freq: 120);
        d.Tone("a2.wav", freq: 130);
        d.Tone("a3.wav", freq: 125);
        d.Tone("b1.wav", freq: 180);
        d.Tone("c1.wav", freq: 220, amplitude: 0.05);
        var manifest = d.Text("m.jsonl", string.Join("\n",
            Line("a1.wav", "s1", "clone"), Line("a2.wav", "s1", "clone"), Line("a3.wav", "s1", "clone"),
            Line("a1.wav", "s1", "clone"),     // the same target twice counts once
            Line("b1.wav", "s1", "emotion"), Line("c1.wav", "s2", "clone")) + "\n");
        var report = ManifestValidator.Validate(new[] { manifest }, new DataConfig { SampleRate = 8000 }, TrainMode.Flow);

        var groups = report.Prosody!;
        Assert.Equal(new[] { ("s1", "clone", 3), ("s1", "emotion", 1), ("s2", "clone", 1) },
            groups.Select(g => (g.Speaker, g.EditType, g.Clips)));
        Assert.Equal(125, groups[0].MedianF0, 1.0);
        Assert.Equal(180, groups[1].MedianF0, 1.5);
        Assert.Equal(220, groups[2].MedianF0, 2.0);
        Assert.All(groups, g => Assert.True(g.VoicedShare > 0.95 && g.F0RangeSemitones < 0.3));
        // amplitude 0.05 sine: RMS 0.0354 = −29 dBFS, 20 dB under the 0.5 tones
        Assert.Equal(-29.0, groups[2].MeanEnergyDb, 0.3);
        Assert.Equal(-9.0, groups[0].MeanEnergyDb, 0.3);
        var text = DataReportText.Render(report);
        Assert.Contains("prosody", text);
        Assert.Matches(@"s1\s+emotion\s+1\s+180", text);

        var without = ManifestValidator.Validate(new[] { manifest }, new DataConfig { SampleRate = 8000 }, TrainMode.Flow, prosody: false);
        Assert.Null(without.Prosody);
        Assert.DoesNotContain("prosody", DataReportText.Render(without));
    }
}
