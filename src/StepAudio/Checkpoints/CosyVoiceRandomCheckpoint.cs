using StepAudio.Flow;
using StepAudio.Training;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Writes the flow side of the released Step-Audio-EditX layout, <c>CosyVoice-300M-25Hz/flow.pt</c> and
/// <c>hift.pt</c>, with seeded random weights: plain fp32 <c>torch.save(state_dict)</c> archives under the keys
/// upstream loads (the flow's module names; HiFT's weight-normed layers as <c>parametrizations.weight.original0/1</c>),
/// so real-size flow loading and training can be measured without the download. Weights are the modules' own
/// PyTorch-style initialisation under the seed; each file holds one model in memory at a time (the real flow ~0.3 GB,
/// twice that while it is written).
/// </summary>
public static class CosyVoiceRandomCheckpoint
{
    /// <summary>The flow folder inside the released model folder.</summary>
    public const string FolderName = RunExport.OfficialFlowFolder;

    /// <summary>
    /// Writes <c>flow.pt</c> of <paramref name="config"/> into <paramref name="folder"/>. With
    /// <paramref name="keepExisting"/> a file already holding every key at its shape (headers only are read) is kept.
    /// Returns the path and whether the file was kept.
    /// </summary>
    public static (string Path, bool Kept) WriteFlow(string folder, FlowConfig config, ulong seed = 42, bool keepExisting = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var model = Seeded(seed, () => new CausalMaskedDiffWithXvec(config));
        return Write(Path.Combine(folder, RunExport.FlowFile), model.state_dict(), keepExisting);
    }

    /// <summary>Writes <c>hift.pt</c> of <paramref name="config"/> into <paramref name="folder"/>, as <see cref="WriteFlow"/> does.</summary>
    public static (string Path, bool Kept) WriteHift(string folder, HiftConfig config, ulong seed = 42, bool keepExisting = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        using var scope = NewDisposeScope();
        // seed + 1: the two files do not start from the same random stream.
        using var model = Seeded(seed + 1, () => new HiftGenerator(config));
        return Write(Path.Combine(folder, VocoderFactory.HiftFileName), model.UpstreamStateDict(), keepExisting);
    }

    static (string, bool) Write(string path, IReadOnlyDictionary<string, Tensor> state, bool keepExisting)
    {
        if (keepExisting && Holds(path, state)) return (path, true);
        StateDictFile.Save(path, state);
        return (path, false);
    }

    /// <summary>Whether <paramref name="path"/> exists and holds exactly <paramref name="state"/>'s keys at their shapes.</summary>
    static bool Holds(string path, IReadOnlyDictionary<string, Tensor> state)
    {
        if (!File.Exists(path)) return false;
        try
        {
            var entries = CheckpointInspector.Inspect(path).Entries;
            return entries.Count == state.Count &&
                   entries.All(e => state.TryGetValue(e.Key, out var t) && e.Shape.SequenceEqual(t.shape));
        }
        catch (InputException) { return false; }
    }

    /// <summary>Builds a module from the global generator seeded with <paramref name="seed"/>, then puts the generator back.</summary>
    static T Seeded<T>(ulong seed, Func<T> build)
    {
        using var rng = get_rng_state();
        manual_seed(unchecked((long)seed));
        try { return build(); }
        finally { set_rng_state(rng); }
    }
}
