// Mirrors stepvocoder/cosyvoice2/flow/flow_matching.py (CausalConditionalCFM).
using System.Text.Json;
using StepAudio.Nn;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// <c>decoder.cfm_params</c> of cosyvoice.yaml plus the sampler's step count (<c>n_timesteps</c>) and CosyVoice's
/// training-time prompt rule (probability 0.5 of a prompt prefix of up to 30 % of the frames).
/// </summary>
public sealed record CfmConfig
{
    public double SigmaMin { get; init; } = 1e-6;
    /// <summary>Only <c>euler</c> upstream.</summary>
    public string Solver { get; init; } = "euler";
    /// <summary><c>cosine</c>: t_span = 1 − cos(linspace(0,1,n+1)·π/2).</summary>
    public string TScheduler { get; init; } = "cosine";
    /// <summary>Probability of dropping mu, spks and cond for a training sample (classifier-free guidance).</summary>
    public double TrainingCfgRate { get; init; } = 0.2;
    /// <summary>Guidance weight at inference: v = (1 + w)·v_cond − w·v_uncond.</summary>
    public double InferenceCfgRate { get; init; } = 0.7;
    /// <summary>Listed in cosyvoice.yaml; the flow-matching loss itself is MSE.</summary>
    public string RegLossType { get; init; } = "l1";
    /// <summary>Euler steps at inference (upstream <c>n_timesteps</c>, 10).</summary>
    public int NTimesteps { get; init; } = 10;
    /// <summary>Probability that a training sample gets a ground-truth prompt prefix in <c>cond</c> (CosyVoice: 0.5).</summary>
    public double PromptProbability { get; init; } = 0.5;
    /// <summary>Longest prompt prefix as a fraction of the sample's frames (CosyVoice: 0.3).</summary>
    public double MaxPromptFraction { get; init; } = 0.3;

}

/// <summary>
/// Every random draw of one flow-matching training step, made per sample, so tests and benches can inject them:
/// <paramref name="T"/> [B] ~ U(0,1); <paramref name="Z"/> [B, 80, T_mel] ~ N(0, I) (zero past each sample's length);
/// <paramref name="CfgKeep"/> [B] bool (false = drop mu, spks and cond, probability <c>training_cfg_rate</c>);
/// <paramref name="PromptLen"/> [B] int64 (ground-truth prefix frames copied into cond; 0 = none).
/// </summary>
public sealed record CfmDraws(Tensor T, Tensor Z, Tensor CfgKeep, Tensor PromptLen) : IDisposable
{
    /// <summary>
    /// Draws for samples with <paramref name="validLengths"/> frames, padded to <paramref name="maxLen"/>, as
    /// CosyVoice does per sample: no prompt with probability 1 − <c>prompt_probability</c>, else a prefix of
    /// randint(0, ⌊0.3·len⌋) frames (inclusive); t ~ U(0,1) (uniform: CosyVoice commit 1822c5c removed the cosine
    /// warp of the training t); keep the condition with probability 1 − <c>training_cfg_rate</c>; z per sample.
    /// </summary>
    public static CfmDraws Sample(Generator generator, IReadOnlyList<long> validLengths, long maxLen, CfmConfig config,
        int channels = 80)
    {
        int b = validLengths.Count;
        if (validLengths.Any(l => l < 0 || l > maxLen))
            throw new ArgumentException($"every valid length must be in [0, {maxLen}]", nameof(validLengths));
        var t = new float[b];
        var keep = new bool[b];
        var prompt = new long[b];
        var z = zeros(b, channels, maxLen);
        for (int i = 0; i < b; i++)
        {
            long len = validLengths[i];
            if (Uniform(generator) >= config.PromptProbability)
                prompt[i] = 0;
            else
            {
                long hi = (long)(config.MaxPromptFraction * len);
                prompt[i] = Math.Min(len, (long)Math.Floor(Uniform(generator) * (hi + 1)));
            }
            t[i] = (float)Uniform(generator);
            keep[i] = Uniform(generator) > config.TrainingCfgRate;
            if (len > 0)
            {
                using var zi = randn(new long[] { channels, len }, generator: generator);
                using var dst = z[i].narrow(1, 0, len);
                dst.copy_(zi);
            }
        }
        return new CfmDraws(tensor(t), z, tensor(keep), tensor(prompt));
    }

    static double Uniform(Generator g)
    {
        using var u = rand(new long[] { 1 }, generator: g, dtype: ScalarType.Float64);
        return u.item<double>();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        T.Dispose();
        Z.Dispose();
        CfgKeep.Dispose();
        PromptLen.Dispose();
    }
}

/// <summary>
/// One flow-matching loss evaluation: the scalar <paramref name="Loss"/> plus the noisy input <paramref name="Y"/>, the
/// target velocity <paramref name="U"/> and the estimator's prediction <paramref name="Pred"/> (all [B, 80, T]).
/// </summary>
public sealed record CfmLoss(Tensor Loss, Tensor Y, Tensor U, Tensor Pred);

/// <summary>
/// The flow decoder (stepvocoder/cosyvoice2/flow/flow_matching.py <c>CausalConditionalCFM</c>) around the
/// <see cref="Dit"/> estimator: the Euler sampler of upstream's inference and the conditional flow-matching loss of
/// CosyVoice's <c>ConditionalCFM.compute_loss</c> (upstream EditX ships no training code).
/// </summary>
public sealed class CausalConditionalCfm : nn.Module
{
#pragma warning disable IDE1006
    public readonly Dit estimator;
#pragma warning restore IDE1006

    public CausalConditionalCfm(DitConfig estimatorConfig, CfmConfig config) : base(nameof(CausalConditionalCfm))
    {
        Config = config;
        estimator = new Dit(estimatorConfig);
        RegisterComponents();
    }

    /// <summary>cfm_params, step count and prompt rule.</summary>
    public CfmConfig Config { get; }

    /// <summary>The DiT velocity estimator.</summary>
    public Dit Estimator => estimator;

    /// <summary>cond[i, :, :k_i] = x1[i, :, :k_i] (CosyVoice flow.py: the training-time prompt prefix), zero elsewhere.</summary>
    public static Tensor PromptConds(Tensor x1, Tensor promptLen)
    {
        using var scope = NewDisposeScope();
        var keep = FlowMasks.Valid(promptLen, x1.size(2)).unsqueeze(1).to_type(x1.dtype);
        return (x1 * keep).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Flow-matching loss with the given draws: y = (1 − (1 − σ)t)·z + t·x1, u = x1 − (1 − σ)·z, mu/spks/cond zeroed
    /// where <c>CfgKeep</c> is false, loss = Σ((pred − u)·mask)² / (Σmask · 80). x1, mu, cond [B, 80, T];
    /// mask [B, 1, T] float; spks [B, 80].
    /// </summary>
    public CfmLoss ComputeLoss(Tensor x1, Tensor mask, Tensor mu, Tensor spks, Tensor cond, CfmDraws draws)
    {
        const string api = "CausalConditionalCfm.ComputeLoss";
        FlowChecks.Estimator(api, estimator.Config.OutChannels, estimator.Device, x1, mask, mu, spks, cond, "x1");
        FlowChecks.Draws(api, draws, x1.shape[0], x1.shape[1], x1.shape[2]);
        using var scope = NewDisposeScope();
        double s = 1 - Config.SigmaMin;
        var t = draws.T.to(x1.dtype, x1.device).view(-1, 1, 1);
        var z = draws.Z.to(x1.dtype, x1.device);
        var y = (1 - s * t) * z + t * x1;
        var u = x1 - s * z;
        var keep = draws.CfgKeep.to(x1.dtype, x1.device);
        mu = mu * keep.view(-1, 1, 1);
        spks = spks * keep.view(-1, 1);
        cond = cond * keep.view(-1, 1, 1);
        var pred = estimator.forward(y, mask, mu, t.view(-1), spks, cond);
        var diff = (pred - u) * mask;
        var loss = diff.pow(2).sum() / (mask.sum() * u.size(1));
        return new CfmLoss(loss.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), u.MoveToOuterDisposeScope(),
            pred.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The time grid: linspace(0, 1, n + 1), warped to 1 − cos(·π/2) when <paramref name="tScheduler"/> is
    /// <c>cosine</c> (upstream EditX always is; CosyVoice keeps the linear grid otherwise).
    /// </summary>
    public static Tensor TSpan(int nTimesteps, Device? device = null, string tScheduler = "cosine")
    {
        if (nTimesteps < 1) throw new ArgumentOutOfRangeException(nameof(nTimesteps), "n_timesteps must be at least 1");
        using var scope = NewDisposeScope();
        var lin = linspace(0, 1, nTimesteps + 1, ScalarType.Float32, device);
        return (tScheduler == "cosine" ? 1 - cos(lin * 0.5 * Math.PI) : lin).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Euler sampling with classifier-free guidance (upstream <c>forward</c> + <c>solve_euler</c>): starting at
    /// <paramref name="noise"/> [1 or B, 80, ≥T] (upstream: its fixed <c>rand_noise</c> buffer), each step runs the
    /// batch twice (the second half with mu, spks and cond zero) and moves x by dt·((1 + w)·v_c − w·v_u).
    /// </summary>
    public Tensor Sample(Tensor mu, Tensor mask, Tensor spks, Tensor cond, Tensor noise, int? nTimesteps = null,
        double temperature = 1.0)
    {
        const string api = "CausalConditionalCfm.Sample";
        FlowChecks.Estimator(api, estimator.Config.OutChannels, estimator.Device, mu, mask, mu, spks, cond, "mu");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long b = mu.size(0), len = mu.size(2);
        if (noise.dim() != 3 || !is_floating_point(noise) || noise.size(1) != mu.size(1) || noise.size(2) < len
            || (noise.size(0) != 1 && noise.size(0) != b))
            throw new TensorArgumentException(
                $"{api}: noise must be floating-point [1 or {b}, {mu.size(1)}, >= {len}]; got {TensorChecks.Describe(noise)}", nameof(noise));
        var x = noise.narrow(2, 0, len).to(mu.dtype, mu.device) * temperature;
        if (x.size(0) != b) x = x.expand(b, x.size(1), len);
        var tSpan = TSpan(nTimesteps ?? Config.NTimesteps, mu.device, Config.TScheduler).to_type(mu.dtype);
        int n = (int)tSpan.size(0) - 1;
        double w = Config.InferenceCfgRate;
        var t = tSpan[0].unsqueeze(0);
        var dt = tSpan[1] - tSpan[0];
        var maskIn = cat(new[] { mask, mask }, 0);
        var muIn = cat(new[] { mu, zeros_like(mu) }, 0);
        var spksIn = cat(new[] { spks, zeros_like(spks) }, 0);
        var condIn = cat(new[] { cond, zeros_like(cond) }, 0);
        for (int step = 1; step <= n; step++)
        {
            using var stepScope = NewDisposeScope();
            var xIn = cat(new[] { x, x }, 0);
            var tIn = t.expand(2 * b);
            var v = estimator.forward(xIn, maskIn, muIn, tIn, spksIn, condIn);
            var vc = v.narrow(0, 0, b);
            var vu = v.narrow(0, b, b);
            var guided = (1.0 + w) * vc - w * vu;
            x = (x + dt * guided).MoveToOuterDisposeScope();
            t = (t + dt).MoveToOuterDisposeScope();
            if (step < n) dt = (tSpan[step + 1] - t).squeeze().MoveToOuterDisposeScope();
        }
        return x.MoveToOuterDisposeScope();
    }
}
