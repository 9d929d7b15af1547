using System.CommandLine;
using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Tests.Data;

public class ManifestBuilderTests
{
    static DataFolder Speakers(int clipsPerSpeaker = 6)
    {
        var d = new DataFolder();
        foreach (var spk in new[] { "alice", "bob" })
            for (int i = 0; i < clipsPerSpeaker; i++)
            {
                d.Tone($"audio/{spk}/{i:D2}.wav", seconds: 1.2, freq: (spk == "alice" ? 200 : 210) + 20 * i);
                d.Text($"audio/{spk}/{i:D2}.txt", $"{spk} says sentence {i}\n");
            }
        return d;
    }

    static HashSet<string> ClipsOf(string manifest) =>
        ManifestReader.Load(manifest).SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath }).ToHashSet();

    [Fact]
    public void SplitsByClipAndPairsWithinTheSpeaker()
    {
        using var d = Speakers();
        var result = ManifestBuilder.Build(d.PathOf("audio"), d.PathOf("lists"), 0.34, 42);
        Assert.Equal((8, 4, 2), (result.TrainRecords, result.ValRecords, result.Speakers));
        var train = ManifestReader.Load(result.TrainPath);
        var val = ManifestReader.Load(result.ValPath);
        Assert.Empty(ClipsOf(result.TrainPath).Intersect(ClipsOf(result.ValPath)));
        // Every clip is a target exactly once, with a different clip of the same speaker as its prompt.
        var targets = train.Concat(val).Select(r => r.TargetAudioPath).ToList();
        Assert.Equal(12, targets.Distinct().Count());
        foreach (var r in train.Concat(val))
        {
            Assert.NotEqual(r.PromptAudioPath, r.TargetAudioPath);
            Assert.Equal(r.SpeakerId, Path.GetFileName(Path.GetDirectoryName(r.PromptAudioPath)));
            Assert.Equal(r.SpeakerId, Path.GetFileName(Path.GetDirectoryName(r.TargetAudioPath)));
            Assert.Equal(EditType.Clone, r.EditType);
            Assert.Equal($"{r.SpeakerId} says sentence {int.Parse(Path.GetFileNameWithoutExtension(r.TargetAudioPath))}", r.TargetText);
        }
        Assert.StartsWith("{\"prompt_audio_path\": \"../audio/".Replace(" ", ""), File.ReadLines(result.TrainPath).First());
        var report = ManifestValidator.Validate(new[] { result.TrainPath, result.ValPath }, new DataConfig { SampleRate = 8000 }, TrainMode.Both);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void SameSeedSameFilesDifferentSeedOtherSplit()
    {
        using var d = Speakers(10);
        var first = ManifestBuilder.Build(d.PathOf("audio"), d.PathOf("a"), 0.2, 42);
        var again = ManifestBuilder.Build(d.PathOf("audio"), d.PathOf("b"), 0.2, 42);
        var other = ManifestBuilder.Build(d.PathOf("audio"), d.PathOf("c"), 0.2, 7);
        Assert.Equal(File.ReadAllBytes(first.TrainPath), File.ReadAllBytes(again.TrainPath));
        Assert.Equal(File.ReadAllBytes(first.ValPath), File.ReadAllBytes(again.ValPath));
        Assert.NotEqual(File.ReadAllText(first.ValPath), File.ReadAllText(other.ValPath));
        Assert.Empty(ClipsOf(other.TrainPath).Intersect(ClipsOf(other.ValPath)));
        Assert.Equal((16, 4), (first.TrainRecords, first.ValRecords));
        Assert.Empty(Directory.GetFiles(d.PathOf("a"), "*.tmp-*"));
    }

    [Fact]
    public void SmallSpeakersAndMissingTranscriptsAreNoted()
    {
        using var d = new DataFolder();
        d.Tone("audio/solo/00.wav");
        d.Tone("audio/pair/00.wav"); d.Tone("audio/pair/01.wav", freq: 330);
        d.Text("audio/pair/00.txt", "only one transcript");
        var result = ManifestBuilder.Build(d.PathOf("audio"), null, 0.2, 42);
        Assert.Equal((2, 0, 1), (result.TrainRecords, result.ValRecords, result.Speakers));
        Assert.Contains(result.Notes, n => n.Contains("solo") && n.Contains("only one clip"));
        Assert.Contains(result.Notes, n => n.Contains("01.wav") && n.Contains("no transcript"));
        Assert.Equal(d.PathOf("audio/train.jsonl"), result.TrainPath);
        // Without texts the LLM cannot train on them; validate-data says so.
        var report = ManifestValidator.Validate(new[] { result.TrainPath }, new DataConfig { SampleRate = 8000 }, TrainMode.Llm);
        Assert.Equal(2, report.Errors.Count(e => e.Field is "prompt_text" or "target_text"));
    }

    [Fact]
    public void EmptyFolderIsAnInputError()
    {
        using var d = new DataFolder();
        Directory.CreateDirectory(d.PathOf("none"));
        var e = Assert.Throws<InputException>(() => ManifestBuilder.Build(d.PathOf("none")));
        Assert.Contains("no speaker folder", e.Problem);
        Assert.Throws<InputException>(() => ManifestBuilder.Build(d.PathOf("absent")));
        Assert.Throws<InputException>(() => ManifestBuilder.Build(d.PathOf("none"), valRatio: 1.5));
    }

    [Fact]
    public void DataSamplesAudioBuildsValidManifests()
    {
        using var d = new DataFolder();
        var result = ManifestBuilder.Build(Path.Combine(TestPaths.DataSamples, "audio"), d.Root);
        Assert.Equal(3, result.Speakers);
        Assert.Equal(33, result.TrainRecords + result.ValRecords);
        var report = ManifestValidator.Validate(new[] { result.TrainPath, result.ValPath }, new DataConfig(), TrainMode.Both);
        Assert.False(report.HasErrors, DataReportText.Render(report));
        Assert.Equal(0, report.OverlappingRecords);
    }

    [Fact]
    public void CliExitCodes()
    {
        using var d = Speakers(3);
        var root = new RootCommand { ValidateDataCommand.Create(), MakeManifestCommand.Create() };
        Assert.Equal(0, root.Parse(new[] { "make-manifest", d.PathOf("audio"), "--out", d.Root, "--val-ratio", "0" }).Invoke());
        Assert.Equal(0, root.Parse(new[] { "validate-data", d.PathOf("train.jsonl"), "--mode", "llm" }).Invoke());
        var bad = d.Text("bad.jsonl", "{\"prompt_audio_path\": \"audio/alice/00.wav\", \"target_audio_path\": \"audio/bob/00.wav\"}\n");
        Assert.Equal(1, root.Parse(new[] { "validate-data", bad, "--mode", "both" }).Invoke());
        Assert.Equal(0, root.Parse(new[] { "validate-data", bad, "--mode", "flow" }).Invoke());
    }
}
