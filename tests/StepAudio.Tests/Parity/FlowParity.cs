using StepAudio.Checkpoints;
using StepAudio.Flow;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>flow</c>: the whole CausalMaskedDiffWithXvec loaded from <c>flow.pt</c> (PyTorch zip) with exact keys, checked
/// equal to <c>weights.safetensors</c>, then the end-to-end <c>inference</c> with the stored noise.
/// </summary>
public sealed class FlowParity : IParityComponent
{
    public string Component => "flow";

    public void Run(ParityFixture f, ParityReport r)
    {
        var config = FlowConfig.FromJson(f.Config);
        using var model = new CausalMaskedDiffWithXvec(config);
        model.eval();
        var pt = f.File_("flow.pt");
        var source = File.Exists(pt) ? pt : f.WeightsPath;
        var load = FlowCheckpoint.Load(model, source, strict: true);
        r.Check(load.IsExact && load.Loaded == model.state_dict().Count, "flow.pt: " + load);
        if (File.Exists(pt) && File.Exists(f.WeightsPath))
        {
            using var scope = NewDisposeScope();
            var fromPt = StateDictFile.Load(pt);
            var fromSt = StateDictFile.Load(f.WeightsPath);
            r.Check(fromPt.Keys.Order().SequenceEqual(fromSt.Keys.Order())
                    && fromPt.All(kv => kv.Value.shape.SequenceEqual(fromSt[kv.Key].shape) && kv.Value.eq(fromSt[kv.Key]).all().item<bool>()), "flow.pt and weights.safetensors differ");
        }

        int n = f.Config.TryGetProperty("cfm", out var cfm) && cfm.TryGetProperty("n_timesteps", out var nt)
            ? nt.GetInt32() : config.Cfm.NTimesteps;
        var feat = model.Inference(f.In("token"), f.In("token_len"), f.In("prompt_token"), f.In("prompt_token_len"),
            f.In("prompt_feat"), f.In("prompt_feat_len"), f.In("embedding"), f.In("noise"), n);
        r.Compare("feat", feat);
    }
}
