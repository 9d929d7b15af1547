using System.Text.Json;

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

    /// <summary>Reads the snake_case keys; absent keys keep the shipped values.</summary>
    public static CfmConfig FromJson(JsonElement e)
    {
        var d = new CfmConfig(); // absent keys keep these (the shipped values)
        return new()
        {
            SigmaMin = FlowConfig.Dbl(e, "sigma_min", d.SigmaMin),
            Solver = FlowConfig.Str(e, "solver", d.Solver),
            TScheduler = FlowConfig.Str(e, "t_scheduler", d.TScheduler),
            TrainingCfgRate = FlowConfig.Dbl(e, "training_cfg_rate", d.TrainingCfgRate),
            InferenceCfgRate = FlowConfig.Dbl(e, "inference_cfg_rate", d.InferenceCfgRate),
            RegLossType = FlowConfig.Str(e, "reg_loss_type", d.RegLossType),
            NTimesteps = FlowConfig.Int(e, "n_timesteps", d.NTimesteps),
            PromptProbability = FlowConfig.Dbl(e, "prompt_probability", d.PromptProbability),
            MaxPromptFraction = FlowConfig.Dbl(e, "max_prompt_fraction", d.MaxPromptFraction),
        };
    }
}
