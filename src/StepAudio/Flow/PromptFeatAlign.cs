using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// stepvocoder/cosyvoice2/cli/cosyvoice.py <c>token2wav_nonstream</c>: the prompt mel is stretched to exactly
/// 2 frames per dual token frame with <c>F.interpolate(prompt_feat.transpose(1, 2), size, mode='nearest')</c>, so that
/// prompt features and prompt tokens line up even when the two were computed with slightly different lengths.
/// </summary>
public static class PromptFeatAlign
{
    /// <summary><c>[B, T, C]</c> → <c>[B, size, C]</c>; frame d copies source frame <c>floor(d · T / size)</c>.</summary>
    public static Tensor Nearest(Tensor promptFeat, int size)
    {
        ArgumentNullException.ThrowIfNull(promptFeat);
        if (promptFeat.dim() != 3) throw new ArgumentException($"prompt_feat must be [B, T, C]; got {promptFeat.dim()} dims");
        long t = promptFeat.shape[1];
        if (t == 0 || size <= 0) throw new ArgumentException($"cannot align {t} prompt frames to {size}");
        // PyTorch's nearest index: floorf(d · (float)in / out), capped at in − 1 — computed in float32 on purpose.
        float scale = (float)t / size;
        var idx = new long[size];
        for (int d = 0; d < size; d++) idx[d] = Math.Min((long)MathF.Floor(d * scale), t - 1);
        using var index = tensor(idx, device: promptFeat.device);
        return promptFeat.index_select(1, index);
    }
}
