using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The encoder's <c>embed</c> / <c>up_embed</c> (CosyVoice transformer/subsampling.py <c>LinearNoSubsampling</c>):
/// Linear → LayerNorm(eps 1e-5) → Dropout, then the rel-pos encoding (x·√d and the position table).
/// </summary>
public sealed class LinearNoSubsampling : nn.Module
{
#pragma warning disable IDE1006
    readonly Sequential @out;
#pragma warning restore IDE1006
    readonly EspnetRelPositionalEncoding posEnc;

    public LinearNoSubsampling(int idim, int odim, double dropoutRate, EspnetRelPositionalEncoding posEnc)
        : base(nameof(LinearNoSubsampling))
    {
        @out = nn.Sequential(nn.Linear(idim, odim), nn.LayerNorm(odim, 1e-5), nn.Dropout(dropoutRate));
        this.posEnc = posEnc;
        RegisterComponents();
    }

    /// <summary>x [B, T, idim] → (x [B, T, odim] scaled by √odim, pos_emb [1, 2T−1, odim]).</summary>
    public (Tensor X, Tensor PosEmb) Forward(Tensor x) => posEnc.Forward(@out.forward(x), training);
}
