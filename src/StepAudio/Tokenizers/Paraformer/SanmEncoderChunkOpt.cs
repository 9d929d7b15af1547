using StepAudio.Flow;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>
/// FunASR <c>EncoderLayerSANM.forward_chunk</c> (scama/encoder.py): (pre-)norm, SANM attention — with a residual only
/// when the layer keeps the width (not in <c>encoders0</c>, 560 → d) — then (pre-)norm and a residual feed-forward.
/// LayerNorm eps is FunASR's 1e-12.
/// </summary>
public sealed class EncoderLayerSanm : nn.Module
{
#pragma warning disable IDE1006
    public readonly MultiHeadedAttentionSanm self_attn;
    public readonly PositionwiseFeedForward feed_forward;
    public readonly LayerNorm norm1;
    public readonly LayerNorm norm2;
#pragma warning restore IDE1006
    readonly bool residualAttention, normalizeBefore;

    /// <summary>FunASR's LayerNorm eps.</summary>
    public const double NormEps = 1e-12;

    /// <summary>A layer from <paramref name="inSize"/> to <paramref name="size"/> features (a residual around the attention only when they are equal).</summary>
    public EncoderLayerSanm(int inSize, int size, MultiHeadedAttentionSanm selfAttn, PositionwiseFeedForward feedForward, bool normalizeBefore)
        : base(nameof(EncoderLayerSanm))
    {
        self_attn = selfAttn;
        feed_forward = feedForward;
        norm1 = nn.LayerNorm(inSize, NormEps);
        norm2 = nn.LayerNorm(size, NormEps);
        residualAttention = inSize == size;
        this.normalizeBefore = normalizeBefore;
        RegisterComponents();
    }

    /// <summary>One window <c>[B, T, in]</c> → <c>[B, T, size]</c> and this layer's new k/v cache.</summary>
    public (Tensor Output, SanmKvCache? Cache) ForwardChunk(Tensor x, SanmKvCache? cache, int[] chunkSize, int lookBack)
    {
        using var scope = NewDisposeScope();
        var residual = x;
        if (normalizeBefore) x = norm1.forward(x);
        var (attn, next) = self_attn.ForwardChunk(x, cache, chunkSize, lookBack);
        x = residualAttention ? residual + attn : attn;
        if (!normalizeBefore) x = norm1.forward(x);
        residual = x;
        if (normalizeBefore) x = norm2.forward(x);
        x = residual + feed_forward.forward(x);
        if (!normalizeBefore) x = norm2.forward(x);
        return (x.MoveToOuterDisposeScope(), next);
    }
}

/// <summary>
/// FunASR <c>SANMEncoderChunkOpt</c> (scama/encoder.py) as ParaformerStreaming's <c>encode_chunk</c> runs it:
/// <see cref="ForwardChunk"/> = upstream <c>forward_chunk</c>. Module names are upstream's (<c>encoders0.0.*</c>,
/// <c>encoders.N.*</c>, <c>after_norm.*</c>; the real <c>model.pt</c> stores them under <c>encoder.</c>).
/// </summary>
public sealed class SanmEncoderChunkOpt : nn.Module
{
#pragma warning disable IDE1006
    public readonly ModuleList<EncoderLayerSanm> encoders0;
    public readonly ModuleList<EncoderLayerSanm> encoders;
    public readonly LayerNorm? after_norm;
#pragma warning restore IDE1006

    /// <summary>An encoder of the given sizes in eval mode, with random weights until <see cref="ParaformerWeights.Load"/>.</summary>
    public SanmEncoderChunkOpt(ParaformerEncoderConfig config) : base(nameof(SanmEncoderChunkOpt))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate("ParaformerEncoderConfig");
        Config = config;
        int d = config.OutputSize;
        EncoderLayerSanm Layer(int inSize) => new(inSize, d,
            new MultiHeadedAttentionSanm(config.AttentionHeads, inSize, d, config.KernelSize, config.SanmShift),
            new PositionwiseFeedForward(d, config.LinearUnits, 0, x => nn.functional.relu(x)), config.NormalizeBefore);
        encoders0 = new ModuleList<EncoderLayerSanm>(Layer(config.InputSize));
        encoders = new ModuleList<EncoderLayerSanm>(Enumerable.Range(0, config.NumBlocks - 1).Select(_ => Layer(d)).ToArray());
        if (config.NormalizeBefore) after_norm = nn.LayerNorm(d, EncoderLayerSanm.NormEps);
        RegisterComponents();
        eval();
    }

    /// <summary>The sizes this encoder was built with.</summary>
    public ParaformerEncoderConfig Config { get; }

    /// <summary>
    /// One chunk of features <c>[1, T, input_size]</c> → <c>[1, overlap + T, output_size]</c>, where overlap =
    /// <c>chunk_size[0] + chunk_size[2]</c> frames carried from the previous chunk (zeros before the first). The
    /// features are scaled by √output_size and position-encoded from <see cref="SanmStreamState.StartIdx"/> + 1 on; the
    /// carried frames are not encoded again. <paramref name="state"/> is updated in place.
    /// </summary>
    public Tensor ForwardChunk(Tensor feats, SanmStreamState state)
    {
        ArgumentNullException.ThrowIfNull(feats);
        ArgumentNullException.ThrowIfNull(state);
        if (feats.dim() != 3 || feats.shape[2] != Config.InputSize || feats.shape[0] != 1 || feats.shape[1] < 1)
            throw new ArgumentException(
                $"SanmEncoderChunkOpt.ForwardChunk: feats must be [1, T ≥ 1, {Config.InputSize}], got [{string.Join(",", feats.shape)}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The front end works on the CPU; the encoder may have been moved elsewhere.
        var x = feats.to(ScalarType.Float32, encoders0[0].norm2.weight!.device) * Math.Sqrt(Config.OutputSize);
        x = x + StreamPositions.Encode(state.StartIdx, x.size(1), x.size(2)).to(x.device);
        state.StartIdx += x.size(1);
        x = state.AddOverlap(x);
        var layers = encoders0.Concat(encoders).ToList();
        var next = new SanmKvCache?[layers.Count];
        for (int i = 0; i < layers.Count; i++)
            (x, next[i]) = layers[i].ForwardChunk(x, state.LayerCache(i), state.ChunkSize, state.LookBack);
        if (after_norm is not null) x = after_norm.forward(x);
        state.SetLayerCaches(next);
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>FunASR <c>StreamSinusoidalPositionEncoder</c>: rows for positions start+1 … start+T, float32 as upstream.</summary>
public static class StreamPositions
{
    /// <summary><c>[1, T, depth]</c> = [sin(p·w_j), cos(p·w_j)], w_j = exp(−j · ln(10000) / (depth/2 − 1)), j &lt; depth/2.</summary>
    public static Tensor Encode(long startIdx, long timesteps, long depth)
    {
        using var scope = NewDisposeScope();
        var positions = arange(startIdx + 1, startIdx + timesteps + 1, ScalarType.Int64).to(ScalarType.Float32);
        var increment = tensor(10000f).log() / (depth / 2.0 - 1);
        var inv = (arange(0, depth / 2, ScalarType.Int64).to(ScalarType.Float32) * -increment).exp();
        var scaled = positions.reshape(1, -1, 1) * inv.reshape(1, 1, -1);
        return cat([scaled.sin(), scaled.cos()], 2).MoveToOuterDisposeScope();
    }
}
