using System.Collections;
using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Llm;
using TorchSharp.PyBridge;

namespace StepAudio.Training;

/// <summary>
/// The checkpoint files the fork's <c>load_finetuned_model</c> loads: an LLM <c>.pt</c> whose <c>model_state_dict</c>
/// holds the LoRA tensors under live-PeftModel names, with the PEFT adapter files in the same folder (so each LLM
/// checkpoint gets a folder of its own); a flow <c>.pt</c> whose <c>model_state_dict</c> holds the flow's own keys.
/// Both written through a temporary file and a rename.
/// </summary>
public static class TrainingCheckpoints
{
    /// <summary>Writes <c>llm_*.pt</c> and its adapter into the folder of <paramref name="path"/>.</summary>
    public static void SaveLlm(Step1ForCausalLM llm, LoraConfig lora, string path, int epoch, string? baseModel,
        string? frontEnd = null) =>
        Step1Export.SavePt(llm, path, lora, epoch, baseModel, Metadata(baseModel, frontEnd));

    /// <summary>Non-tensor entries beside <c>model_state_dict</c> (the fork's loader ignores them): what the weights belong to.</summary>
    static Dictionary<string, string> Metadata(string? baseModel, string? frontEnd)
    {
        var m = new Dictionary<string, string>();
        if (baseModel != null) m["base_model"] = baseModel;
        if (frontEnd != null) m["audio_front_end"] = frontEnd;
        return m;
    }

    /// <summary>Writes <c>flow_*.pt</c>: <c>{"model_state_dict": {flow keys}, "epoch": N}</c>.</summary>
    public static void SaveFlow(CausalMaskedDiffWithXvec flow, string path, int epoch, string? baseModel = null, string? frontEnd = null)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var state = new Hashtable();
        // Copies with storage of their own (trained parameters are views into the optimizer's flat buffer).
        foreach (var (name, t) in flow.state_dict()) state[name] = t.detach().cpu().clone();
        var root = new Hashtable { ["model_state_dict"] = state, ["epoch"] = epoch };
        foreach (var (k, v) in Metadata(baseModel, frontEnd)) root[k] = v;
        AtomicFile.Write(path, tmp =>
        {
            using var stream = File.Create(tmp);
            PyTorchPickler.PickleStateDict(stream, root);
        });
    }

    /// <summary>Loads a flow checkpoint (ours, the fork's, or a plain <c>flow.pt</c>) into <paramref name="flow"/>.</summary>
    public static void LoadFlow(CausalMaskedDiffWithXvec flow, string path) => FlowCheckpoint.Load(flow, path);
}
