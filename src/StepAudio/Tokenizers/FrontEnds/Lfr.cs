using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>Low frame rate stacking, FunASR <c>apply_lfr</c> (funasr_detach/frontends/wav_frontend.py).</summary>
public static class Lfr
{
    /// <summary>
    /// <c>[T, D] → [ceil(T / n), m·D]</c>: (m−1)/2 copies of frame 0 are prepended; output frame i concatenates padded
    /// rows [n·i, n·i + m); a short last window is filled with copies of the last frame.
    /// </summary>
    public static Tensor Apply(Tensor inputs, int lfrM, int lfrN)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (lfrM < 1 || lfrN < 1) throw new ArgumentException($"Lfr: lfr_m ({lfrM}) and lfr_n ({lfrN}) must be ≥ 1");
        if (inputs.dim() != 2 || inputs.shape[0] < 1)
            throw new ArgumentException($"Lfr: inputs must be [T ≥ 1, D]; got [{string.Join(",", inputs.shape)}]", nameof(inputs));
        using var scope = NewDisposeScope();
        long t = inputs.shape[0];
        long tLfr = (t + lfrN - 1) / lfrN;
        int left = (lfrM - 1) / 2;
        var padded = left > 0 ? cat(new[] { inputs.narrow(0, 0, 1).expand(left, -1), inputs }, 0) : inputs;
        long total = t + left;
        var last = padded.narrow(0, total - 1, 1);
        var rows = new List<Tensor>((int)tLfr);
        for (long i = 0; i < tLfr; i++)
        {
            long start = i * lfrN, have = Math.Min(lfrM, total - start);
            var window = padded.narrow(0, start, have);
            if (have < lfrM) window = cat(new[] { window, last.expand(lfrM - have, -1) }, 0);
            rows.Add(window.reshape(1, -1));
        }
        return cat(rows, 0).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
