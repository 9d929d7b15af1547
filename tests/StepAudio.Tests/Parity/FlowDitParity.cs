using StepAudio.Flow;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>flow_dit</c>: the DiT forward (<c>fwd.*</c>), the CFM training loss and its gradients with the stored draws
/// (<c>cfm.*</c>), and cosine-Euler sampling with CFG (<c>euler.*</c>, step count from <c>config.cfm.n_timesteps</c>).
/// </summary>
public sealed class FlowDitParity : IParityComponent
{
    public string Component => "flow_dit";

    public void Run(ParityFixture f, ParityReport r)
    {
        var config = FlowConfig.FromJson(f.Config);
        using var cfm = new CausalConditionalCfm(config.Estimator, config.Cfm);
        cfm.eval();
        var load = FlowCheckpoint.Load(cfm, f.WeightsPath, strict: true, stripPrefix: "decoder.");
        r.Check(load.IsExact && load.Loaded > 0, "weights: " + load);

        if (f.Io.ContainsKey("fwd.out"))
            using (no_grad())
                r.Compare("fwd.out", cfm.Estimator.forward(f.In("fwd.x"), f.In("fwd.mask"), f.In("fwd.mu"), f.In("fwd.t"),
                    f.In("fwd.spks"), f.In("fwd.cond")));

        if (f.Io.ContainsKey("cfm.loss")) RunLoss(f, r, cfm);

        if (f.Io.ContainsKey("euler.out"))
        {
            int n = f.Cfg("cfm.n_timesteps").GetInt32();
            r.CompareIfStored("euler.t_span", CausalConditionalCfm.TSpan(n, tScheduler: config.Cfm.TScheduler));
            var x = cfm.Sample(f.In("euler.mu"), f.In("euler.mask"), f.In("euler.spks"), f.In("euler.cond"),
                f.In("euler.noise"), n);
            r.Compare("euler.out", x);
        }
    }

    static void RunLoss(ParityFixture f, ParityReport r, CausalConditionalCfm cfm)
    {
        var x1 = f.In("cfm.x1");
        var conds = CausalConditionalCfm.PromptConds(x1, f.In("cfm.prompt_len"));
        r.CompareIfStored("cfm.conds", conds);
        using var draws = new CfmDraws(f.In("cfm.t").view(-1).clone(), f.In("cfm.z").clone(), f.In("cfm.cfg_keep").clone(),
            f.In("cfm.prompt_len").clone());
        cfm.zero_grad();
        var result = cfm.ComputeLoss(x1, f.In("cfm.mask"), f.In("cfm.mu"), f.In("cfm.spks"), conds, draws);
        result.Loss.backward();
        r.Compare("cfm.loss", result.Loss);
        r.CompareIfStored("cfm.y", result.Y);
        r.CompareIfStored("cfm.u", result.U);
        r.CompareIfStored("cfm.pred", result.Pred);
        var grads = cfm.named_parameters().ToDictionary(p => "cfm.grad.decoder." + p.name, p => p.parameter.grad);
        foreach (var key in f.IoKeys("cfm.grad."))
        {
            r.Check(grads.TryGetValue(key, out var g) && g is not null, $"{key}: no such parameter or no gradient");
            if (g is not null) r.Compare(key, g);
        }
    }
}
