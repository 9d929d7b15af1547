using static TorchSharp.torch;

namespace StepAudio.Vocoder;

/// <summary>
/// The random draws HiFT's NSF source makes, in upstream call order (hifigan/generator.py <c>SineGen2</c>):
/// <see cref="RandIni"/> <c>[B, H+1]</c> ~ U(0,1), the initial phase of each harmonic (column 0 is forced to 0),
/// and <see cref="SineNoise"/> <c>[B, T·480, H+1]</c> ~ N(0,1), the additive noise. Pass stored draws to reproduce
/// an upstream run exactly; leave them out and the generator draws from its seeded generator.
/// (Upstream's third draw, the noise branch of <c>SourceModuleHnNSF2</c>, never reaches the output.)
/// </summary>
public sealed record HiftDraws(Tensor RandIni, Tensor SineNoise);
