using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// DiT time embedding (decoder_dit.py <c>TimestepEmbedder</c>): sinusoid of 1000·t over 256 dims written [cos | sin]
/// with max_period 10000, then Linear → SiLU → Linear.
/// </summary>
public sealed class TimestepEmbedder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    readonly Sequential mlp;
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

    /// <summary>The GLIDE sinusoid: [cos(t·f), sin(t·f)] with f = exp(−ln(max_period)·i/half).</summary>
    public static Tensor TimestepEmbedding(Tensor t, int dim, double maxPeriod = 10000)
    {
        using var scope = NewDisposeScope();
        return Sinusoid(t, Frequencies(dim / 2, maxPeriod, t.dtype, t.device), dim).MoveToOuterDisposeScope();
    }

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
