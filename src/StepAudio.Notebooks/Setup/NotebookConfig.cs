using System.Text.Json.Nodes;
using StepAudio.Config;

namespace StepAudio.Notebooks;

/// <summary>
/// The embedded default (<c>configs/tiny.yaml</c>) as the notebooks use it: runs under <see cref="NotebookRuns.Root"/>,
/// no epoch checkpoints or audio samples in the run folder (the notebooks make their own). The quick setting trains
/// one epoch per stage (two for the cheap flow stage) on every third record of <c>data-samples/</c> (all voices and
/// edit kinds, a third of the steps), with a feature cache of its own: the tiny tokenizer is fitted on the training
/// clips, and a fit on the subset must not replace the one the full setting's cache holds.
/// </summary>
public static class NotebookConfig
{
    /// <summary>Epochs per stage in the quick setting: enough for the losses to move, seconds each.</summary>
    public static (int Llm, int Flow, int Joint) QuickEpochs { get; } = (1, 2, 1);

    /// <summary>In the quick setting, one record in this many is kept.</summary>
    public const int QuickRecordStride = 3;

    /// <summary>A fresh copy of the default with the notebook overrides; <paramref name="tweak"/> changes it further.</summary>
    public static StepAudioConfig Load(Action<StepAudioConfig>? tweak = null)
    {
        var config = ConfigLoader.Load(DefaultConfig.Locate());
        config.Save.CkptDir = NotebookRuns.Root;
        config.Save.SaveInterval = 0;       // llm_best/ and flow_best.pt are all later notebooks read
        config.Save.SampleInterval = 0;
        if (NotebookSetting.Quick)
        {
            config.Stage.Stage1Epochs = QuickEpochs.Llm;
            config.Stage.Stage2Epochs = QuickEpochs.Flow;
            config.Stage.Stage3Epochs = QuickEpochs.Joint;
            var data = Path.Combine(NotebookRuns.Root, "data");
            config.Data.TrainPath = Subset(config.Data.TrainPath!, Path.Combine(data, "train.jsonl"));
            config.Data.ValPath = Subset(config.Data.ValPath!, Path.Combine(data, "val.jsonl"));
            config.Data.CacheDir = Path.Combine(data, "cache");
        }
        tweak?.Invoke(config);
        return config;
    }

    /// <summary>Every <see cref="QuickRecordStride"/>-th record of <paramref name="manifest"/>, audio paths made absolute.</summary>
    static string Subset(string manifest, string to)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifest))!;
        var lines = File.ReadLines(manifest).Where(l => l.Trim().Length > 0)
            .Where((_, i) => i % QuickRecordStride == 0)
            .Select(l =>
            {
                var record = JsonNode.Parse(l)!.AsObject();
                foreach (var key in new[] { "prompt_audio_path", "target_audio_path" })
                    record[key] = Path.GetFullPath(Path.Combine(folder, record[key]!.GetValue<string>()));
                return record.ToJsonString();
            })
            .ToList();
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        // Same content, same file: an unchanged manifest keeps its hash, so resumed runs see no change.
        var text = string.Join("\n", lines) + "\n";
        if (!File.Exists(to) || File.ReadAllText(to) != text) AtomicFile.WriteAllText(to, text);
        return to;
    }

    /// <summary>Sets the epochs of the three stages (a short run: e.g. <c>WithEpochs(c, 1, 0, 0)</c> is stage 1 only).</summary>
    public static StepAudioConfig WithEpochs(this StepAudioConfig config, int llm, int flow, int joint)
    {
        config.Stage.Stage1Epochs = llm;
        config.Stage.Stage2Epochs = flow;
        config.Stage.Stage3Epochs = joint;
        return config;
    }
}
