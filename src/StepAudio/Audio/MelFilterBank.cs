namespace StepAudio.Audio;

/// <summary>
/// librosa's <c>filters.mel</c> with its defaults (htk=False: the Slaney mel scale; norm='slaney': each triangle
/// scaled by 2 / bandwidth), the basis upstream matcha <c>mel_spectrogram</c> multiplies the magnitude by.
/// Computed in double and rounded to float32 as librosa does.
/// </summary>
public static class MelFilterBank
{
    const double FSp = 200.0 / 3, MinLogHz = 1000.0, MinLogMel = MinLogHz / FSp;
    static readonly double LogStep = Math.Log(6.4) / 27.0;

    /// <summary>Hz to mel on the Slaney scale (linear below 1 kHz, logarithmic above).</summary>
    public static double HzToMel(double hz) => hz >= MinLogHz ? MinLogMel + Math.Log(hz / MinLogHz) / LogStep : hz / FSp;

    /// <summary>Mel to Hz on the Slaney scale.</summary>
    public static double MelToHz(double mel) => mel >= MinLogMel ? MinLogHz * Math.Exp(LogStep * (mel - MinLogMel)) : FSp * mel;

    /// <summary>The basis as a row-major <c>[numMels, nFft/2+1]</c> array.</summary>
    public static float[] Slaney(int sampleRate, int nFft, int numMels, double fmin, double fmax)
    {
        int bins = nFft / 2 + 1;
        // librosa mel_frequencies: numpy linspace over [mel(fmin), mel(fmax)] with n_mels + 2 points.
        var melF = new double[numMels + 2];
        double lo = HzToMel(fmin), hi = HzToMel(fmax), step = (hi - lo) / (numMels + 1);
        for (int i = 0; i < melF.Length; i++) melF[i] = MelToHz(i == melF.Length - 1 ? hi : lo + i * step);
        // numpy rfftfreq: i * (1 / (n * d)) with d = 1 / sr.
        double binHz = 1.0 / (nFft * (1.0 / sampleRate));
        var w = new float[numMels * bins];
        for (int m = 0; m < numMels; m++)
        {
            double dLo = melF[m + 1] - melF[m], dHi = melF[m + 2] - melF[m + 1];
            double enorm = 2.0 / (melF[m + 2] - melF[m]);
            for (int k = 0; k < bins; k++)
            {
                double f = k * binHz;
                double lower = -(melF[m] - f) / dLo, upper = (melF[m + 2] - f) / dHi;
                float tri = (float)Math.Max(0, Math.Min(lower, upper));
                w[m * bins + k] = (float)(tri * enorm);
            }
        }
        return w;
    }
}
