using System.Globalization;
using System.Text;
using StepAudio.Audio;

namespace StepAudio.Notebooks;

/// <summary>
/// A waveform as inline SVG: per pixel column the min and max sample, drawn as one filled outline. The size depends on
/// the width only, so a 10-minute clip is as small as a 1-second one (a few KB).
/// </summary>
public static class WaveformSvg
{
    /// <summary>SVG of the clip's mono mix, <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static string Render(AudioClip clip, int width = 600, int height = 64)
    {
        var samples = clip.Channels.Length == 1 ? clip.Channels[0] : clip.ToMono();
        var (min, max) = Envelope(samples, width);
        var ic = CultureInfo.InvariantCulture;
        double mid = height / 2.0, scale = height / 2.0 - 1;
        var sb = new StringBuilder();
        sb.Append(ic, $"<svg class=\"sa-wave\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">");
        sb.Append(ic, $"<line x1=\"0\" y1=\"{mid}\" x2=\"{width}\" y2=\"{mid}\" stroke=\"#ccc\" stroke-width=\"1\"/>");
        if (min.Length > 0)
        {
            // Upper edge left to right, lower edge back: one polygon instead of a path per column.
            sb.Append("<polygon fill=\"#4c78a8\" stroke=\"#4c78a8\" stroke-width=\"0.5\" points=\"");
            for (int x = 0; x < max.Length; x++) sb.Append(ic, $"{x + 0.5:0.#},{mid - max[x] * scale:0.#} ");
            for (int x = min.Length - 1; x >= 0; x--) sb.Append(ic, $"{x + 0.5:0.#},{mid - min[x] * scale:0.#} ");
            sb.Length--;
            sb.Append("\"/>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Min and max per column (clamped to [-1, 1]); fewer columns than <paramref name="columns"/> for short clips.</summary>
    public static (float[] Min, float[] Max) Envelope(ReadOnlySpan<float> samples, int columns)
    {
        int n = Math.Min(columns, samples.Length);
        var min = new float[n];
        var max = new float[n];
        for (int c = 0; c < n; c++)
        {
            int from = (int)((long)c * samples.Length / n), to = (int)((long)(c + 1) * samples.Length / n);
            float lo = float.MaxValue, hi = float.MinValue;
            for (int i = from; i < to; i++)
            {
                float v = samples[i];
                if (!float.IsFinite(v)) continue;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            if (lo > hi) lo = hi = 0;   // a column of NaNs only
            min[c] = Math.Clamp(lo, -1f, 1f);
            max[c] = Math.Clamp(hi, -1f, 1f);
        }
        return (min, max);
    }
}
