// Mirrors stepvocoder/cosyvoice2/flow/decoder_dit.py (MLP, Attention, TimestepEmbedder, Transpose, CausalConv1d, CausalConvBlock, DiTBlock, FinalLayer, DiT).
using System.Text.Json;
using StepAudio.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Flow;

/// <summary><c>decoder.estimator:</c> of cosyvoice.yaml (the <c>DiT</c> of decoder_dit.py); defaults are the shipped values.</summary>
public sealed record DitConfig
{
    /// <summary>x ‖ mu ‖ spks ‖ cond = 4 × 80.</summary>
    public int InChannels { get; init; } = 320;
    public int OutChannels { get; init; } = 80;
    public double MlpRatio { get; init; } = 4.0;
    public int Depth { get; init; } = 16;
    public int NumHeads { get; init; } = 8;
    public int HeadDim { get; init; } = 64;
    public int HiddenSize { get; init; } = 512;

}

/// <summary>DiT feed-forward (decoder_dit.py <c>MLP</c> with GELU(approximate="tanh")): fc2(gelu(fc1(x))).</summary>
public sealed class DitMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Linear fc1;
    public readonly Linear fc2;
#pragma warning restore IDE1006

    public DitMlp(int inFeatures, int hiddenFeatures) : base(nameof(DitMlp))
    {
        fc1 = nn.Linear(inFeatures, hiddenFeatures);
        fc2 = nn.Linear(hiddenFeatures, inFeatures);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.gelu(fc1.forward(x), GELU.Approximate.tanh);
        return fc2.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// DiT self-attention (decoder_dit.py <c>Attention</c> with qkv_bias and qk_norm): to_q/to_k/to_v, per-head
/// LayerNorm on q and k (affine, eps 1e-5), scaled dot-product attention over a key-padding mask, proj.
/// </summary>
public sealed class DitAttention : nn.Module
{
#pragma warning disable IDE1006
    public readonly Linear to_q;
    public readonly Linear to_k;
    public readonly Linear to_v;
    public readonly LayerNorm q_norm;
    public readonly LayerNorm k_norm;
    public readonly Linear proj;
#pragma warning restore IDE1006
    readonly int numHeads, headDim;

    public DitAttention(int dim, int numHeads, int headDim) : base(nameof(DitAttention))
    {
        this.numHeads = numHeads;
        this.headDim = headDim;
        int inner = numHeads * headDim;
        to_q = nn.Linear(dim, inner);
        to_k = nn.Linear(dim, inner);
        to_v = nn.Linear(dim, inner);
        q_norm = nn.LayerNorm(headDim, 1e-5);
        k_norm = nn.LayerNorm(headDim, 1e-5);
        proj = nn.Linear(inner, dim);
        RegisterComponents();
    }

    /// <summary>x [B, T, C], keyMask [B, 1, 1, T] bool (true = attend) → [B, T, C].</summary>
    public Tensor forward(Tensor x, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1);
        var q = q_norm.forward(ToHeads(to_q.forward(x), b, t));
        var k = k_norm.forward(ToHeads(to_k.forward(x), b, t));
        var v = ToHeads(to_v.forward(x), b, t);
        // libtorch's fused kernel; default scale 1/sqrt(head_dim) as upstream's F.scaled_dot_product_attention.
        var o = nn.functional.scaled_dot_product_attention(q, k, v, keyMask);
        return proj.forward(o.transpose(1, 2).reshape(b, t, numHeads * headDim)).MoveToOuterDisposeScope();
    }

    Tensor ToHeads(Tensor ts, long b, long t) => ts.reshape(b, t, numHeads, headDim).transpose(1, 2);
}

/// <summary>
/// DiT time embedding (decoder_dit.py <c>TimestepEmbedder</c>): sinusoid of 1000·t over 256 dims written [cos | sin]
/// with max_period 10000, then Linear → SiLU → Linear.
/// </summary>
public sealed class TimestepEmbedder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Sequential mlp;
#pragma warning restore IDE1006
    Tensor? freqs;   // the sinusoid's frequencies, built once (they depend only on the dtype and device)

    /// <summary>Width of the sinusoid.</summary>
    public const int FrequencyEmbeddingSize = 256;

    public TimestepEmbedder(int hiddenSize) : base(nameof(TimestepEmbedder))
    {
        mlp = nn.Sequential(nn.Linear(FrequencyEmbeddingSize, hiddenSize), nn.SiLU(), nn.Linear(hiddenSize, hiddenSize));
        RegisterComponents();
    }

    /// <summary>t [B] → [B, hidden].</summary>
    public override Tensor forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        if (freqs is null || freqs.dtype != t.dtype || freqs.device_type != t.device_type || freqs.device_index != t.device_index)
        {
            freqs?.Dispose();
            freqs = Frequencies(FrequencyEmbeddingSize / 2, 10000, t.dtype, t.device).DetachFromDisposeScope();
        }
        return mlp.forward(Sinusoid(t * 1000, freqs, FrequencyEmbeddingSize)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) freqs?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>GLIDE's frequencies f = exp(−ln(max_period)·i/half) of decoder_dit.py <c>timestep_embedding</c>.</summary>
    static Tensor Frequencies(int half, double maxPeriod, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        return exp(arange(0, half, ScalarType.Float32) * (float)(-Math.Log(maxPeriod)) / half).to(dtype, device)
            .MoveToOuterDisposeScope();
    }

    static Tensor Sinusoid(Tensor t, Tensor freqs, int dim)
    {
        using var scope = NewDisposeScope();
        var args = t.unsqueeze(1) * freqs.unsqueeze(0);
        var emb = cat(new[] { cos(args), sin(args) }, -1);
        if (dim % 2 == 1) emb = cat(new[] { emb, zeros_like(emb.narrow(1, 0, 1)) }, -1);
        return emb.MoveToOuterDisposeScope();
    }
}

/// <summary>A parameter-free module swapping two axes (decoder_dit.py <c>Transpose</c>), kept so Sequential indices match.</summary>
public sealed class Transpose : nn.Module<Tensor, Tensor>
{
    readonly long dim0, dim1;

    public Transpose(long dim0, long dim1) : base(nameof(Transpose))
    {
        this.dim0 = dim0;
        this.dim1 = dim1;
    }

    public override Tensor forward(Tensor x) => x.transpose(dim0, dim1);
}

/// <summary>
/// Conv1d with left padding k−1 (decoder_dit.py <c>CausalConv1d</c>, a subclass of nn.Conv1d, so its keys are
/// <c>weight</c> and <c>bias</c> directly).
/// </summary>
public sealed class CausalConv1d : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly TorchSharp.Modules.Parameter weight;
    public readonly TorchSharp.Modules.Parameter bias;
#pragma warning restore IDE1006
    readonly int kernelSize;

    public CausalConv1d(int inChannels, int outChannels, int kernelSize) : base(nameof(CausalConv1d))
    {
        this.kernelSize = kernelSize;
        // Same init as nn.Conv1d: kaiming_uniform(a=√5) on the weight, U(±1/√fan_in) on the bias.
        using var reference = nn.Conv1d(inChannels, outChannels, kernelSize);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = nn.Parameter(reference.bias!.detach().clone());
        RegisterComponents();
    }

    /// <summary>x [B, C, T] → [B, C', T].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var padded = F.pad(x, new long[] { kernelSize - 1, 0 });
        return GuardedConvolution.Conv1d(padded, weight, bias).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The DiT block's convolution branch (decoder_dit.py <c>CausalConvBlock</c>): upstream's
/// <c>Sequential(Transpose, CausalConv1d, Transpose, LayerNorm, Mish, Transpose, CausalConv1d, Transpose)</c>, kept
/// with the same indices so the keys are <c>block.1</c>, <c>block.3</c>, <c>block.6</c>. Like upstream's
/// <c>DiTBlock.forward</c>, it is called without a mask.
/// </summary>
public sealed class CausalConvBlock : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Sequential block;
#pragma warning restore IDE1006

    public CausalConvBlock(int inChannels, int outChannels, int kernelSize = 3) : base(nameof(CausalConvBlock))
    {
        block = nn.Sequential(
            new Transpose(1, 2), new CausalConv1d(inChannels, outChannels, kernelSize), new Transpose(1, 2),
            nn.LayerNorm(outChannels, 1e-5), nn.Mish(),
            new Transpose(1, 2), new CausalConv1d(outChannels, outChannels, kernelSize), new Transpose(1, 2));
        RegisterComponents();
    }

    /// <summary>x [B, T, C] → [B, T, C].</summary>
    public override Tensor forward(Tensor x) => block.forward(x);
}

/// <summary>
/// One DiT block with adaLN-Zero conditioning (decoder_dit.py <c>DiTBlock</c>): nine shift/scale/gate chunks from
/// SiLU → Linear(c); then attention, the causal conv block and the MLP, in that order, each on a modulated
/// no-affine LayerNorm (eps 1e-6) and added back through its gate.
/// </summary>
public sealed class DitBlock : nn.Module
{
#pragma warning disable IDE1006
    public readonly DitAttention attn;
    public readonly DitMlp mlp;
    public readonly CausalConvBlock conv;
    public readonly Sequential adaLN_modulation;
#pragma warning restore IDE1006
    readonly long hidden;

    public DitBlock(int hiddenSize, int numHeads, int headDim, double mlpRatio) : base(nameof(DitBlock))
    {
        hidden = hiddenSize;
        attn = new DitAttention(hiddenSize, numHeads, headDim);
        mlp = new DitMlp(hiddenSize, (int)(hiddenSize * mlpRatio));
        conv = new CausalConvBlock(hiddenSize, hiddenSize, 3);
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hiddenSize, 9 * hiddenSize));
        RegisterComponents();
    }

    /// <summary>x [B, T, C], c [B, 1, C], keyMask [B, 1, 1, T] bool → [B, T, C].</summary>
    public Tensor forward(Tensor x, Tensor c, Tensor keyMask)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).chunk(9, -1);
        // chunks: shift/scale/gate for msa, mlp, conv
        x = x + m[2] * attn.forward(Modulate(Norm(x), m[0], m[1]), keyMask);
        x = x + m[8] * conv.forward(Modulate(Norm(x), m[6], m[7]));
        x = x + m[5] * mlp.forward(Modulate(Norm(x), m[3], m[4]));
        return x.MoveToOuterDisposeScope();
    }

    Tensor Norm(Tensor x) => F.layer_norm(x, new[] { hidden }, null, null, 1e-6);

    /// <summary>x·(1 + scale) + shift.</summary>
    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x * (scale + 1) + shift;
}

/// <summary>DiT output head (decoder_dit.py <c>FinalLayer</c>): adaLN with two chunks on a no-affine LayerNorm, then Linear.</summary>
public sealed class FinalLayer : nn.Module
{
#pragma warning disable IDE1006
    public readonly Sequential adaLN_modulation;
    public readonly Linear linear;
#pragma warning restore IDE1006
    readonly long hidden;

    public FinalLayer(int hiddenSize, int outChannels) : base(nameof(FinalLayer))
    {
        hidden = hiddenSize;
        adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hiddenSize, 2 * hiddenSize));
        linear = nn.Linear(hiddenSize, outChannels);
        RegisterComponents();
    }

    /// <summary>x [B, T, C], c [B, 1, C] → [B, T, out].</summary>
    public Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var m = adaLN_modulation.forward(c).chunk(2, -1);
        var h = DitBlock.Modulate(F.layer_norm(x, new[] { hidden }, null, null, 1e-6), m[0], m[1]);
        return linear.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The flow-matching estimator (stepvocoder/cosyvoice2/flow/decoder_dit.py <c>DiT</c>): input
/// x ‖ mu ‖ spks (broadcast over T) ‖ cond on channels → in_proj → <c>depth</c> DiT blocks conditioned on the time
/// embedding → final layer. The attention mask is a key-padding mask only; the conv branch sees no mask.
/// </summary>
public sealed class Dit : nn.Module
{
#pragma warning disable IDE1006
    public readonly TimestepEmbedder t_embedder;
    public readonly Linear in_proj;
    public readonly ModuleList<DitBlock> blocks;
    public readonly FinalLayer final_layer;
#pragma warning restore IDE1006

    public Dit(DitConfig c) : base(nameof(Dit))
    {
        Config = c;
        t_embedder = new TimestepEmbedder(c.HiddenSize);
        in_proj = nn.Linear(c.InChannels, c.HiddenSize);
        blocks = nn.ModuleList(Enumerable.Range(0, c.Depth)
            .Select(_ => new DitBlock(c.HiddenSize, c.NumHeads, c.HeadDim, c.MlpRatio)).ToArray());
        final_layer = new FinalLayer(c.HiddenSize, c.OutChannels);
        RegisterComponents();
    }

    /// <summary>The configuration this estimator was built from.</summary>
    public DitConfig Config { get; }

    /// <summary>Where the weights live; inputs must be there too.</summary>
    public Device Device => in_proj.weight!.device;

    /// <summary>
    /// x, mu, cond [B, 80, T]; mask [B, 1, T] (float 0/1 or bool); t [B]; spks [B, 80] → velocity [B, 80, T].
    /// </summary>
    public Tensor forward(Tensor x, Tensor mask, Tensor mu, Tensor t, Tensor spks, Tensor cond)
    {
        FlowChecks.Estimator("Dit.forward", Config.OutChannels, Device, x, mask, mu, spks, cond);
        TensorChecks.Check(t, "Dit.forward", "t", TensorKind.Float, new Dim("batch", x.shape[0]));
        using var scope = NewDisposeScope();
        var c = t_embedder.forward(t).unsqueeze(1);                                   // (B, 1, H)
        var spk = spks.unsqueeze(2).expand(spks.size(0), spks.size(1), x.size(2));
        var h = cat(new[] { x, mu, spk, cond }, 1).transpose(1, 2);                  // (B, T, 320)
        var keyMask = mask.to_type(ScalarType.Bool).unsqueeze(1);                     // (B, 1, 1, T)
        h = in_proj.forward(h);
        foreach (var block in blocks) h = block.forward(h, c, keyMask);
        h = final_layer.forward(h, c);
        return h.transpose(1, 2).MoveToOuterDisposeScope();
    }
}
