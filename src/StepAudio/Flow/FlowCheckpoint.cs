using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// Loads flow weights with upstream's exact keys from a PyTorch zip checkpoint (<c>flow.pt</c>, a plain
/// <c>torch.save(state_dict)</c>) or a safetensors file, through the shared <see cref="StateDictLoader"/>, and reports
/// missing, unexpected and mis-shaped keys.
/// </summary>
public static class FlowCheckpoint
{
    /// <summary>
    /// Compares the file's tensors with <paramref name="model"/>'s state_dict and copies every key whose name and shape
    /// match (converted to the parameter's dtype, so a half-precision file loads too). With <paramref name="strict"/>
    /// (default) any mismatch throws an <see cref="InputException"/> naming the file and the keys, before anything is
    /// copied. <paramref name="stripPrefix"/> selects the keys under a prefix and removes it (e.g. <c>decoder.</c> to
    /// load a <see cref="CausalConditionalCfm"/> from a whole-flow file); keys outside it are ignored.
    /// </summary>
    public static CheckpointLoadReport Load(nn.Module model, string path, bool strict = true, string? stripPrefix = null) =>
        StateDictLoader.Load(model, path, new LoadOptions { Strict = strict, SelectPrefix = stripPrefix });
}
