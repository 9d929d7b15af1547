using StepAudio.Tests.Vocoder;
using StepAudio.Vocoder;

namespace StepAudio.Tests.Parity;

/// <summary>
/// <c>hift</c>: HiFTGenerator at the fixture's sizes, strict-loaded from the upstream (weight-norm) keys, run end to end
/// on <c>speech_feat</c> with the stored random draws; F0, NSF source and waveform are compared.
/// </summary>
public sealed class HiftParity : IParityComponent
{
    public string Component => "hift";

    public void Run(ParityFixture f, ParityReport r)
    {
        using var hift = new HiftGenerator(HiftFixtureConfig.Read(f));
        var mismatch = hift.LoadStateDict(f.Weights, f.WeightsPath, strict: true);
        r.Check(mismatch.IsExact, mismatch.ToString());
        r.CompareIfStored("stft_window", hift.StftWindow());

        var draws = new HiftDraws(f.In("rand_ini"), f.In("sine_noise_randn"));
        using var output = hift.Inference(f.In("speech_feat"), draws);
        r.Compare("f0", output.F0);
        r.Compare("source", output.Source);
        r.Compare("wav", output.Wav);
    }
}
