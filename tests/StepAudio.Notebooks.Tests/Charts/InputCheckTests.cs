using StepAudio.Audio;
using StepAudio.Data;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Notebooks.Tests.Charts;

/// <summary>
/// Every public view and chart entry point rejects bad input with an <see cref="ArgumentException"/> saying what it
/// expected, before TorchSharp or plotly.js sees it (a native shape error can end the notebook's kernel).
/// </summary>
public sealed class InputCheckTests
{
    static readonly AudioClip Speech = AudioClip.Mono(
        Enumerable.Range(0, 12000).Select(i => 0.3f * MathF.Sin(2 * MathF.PI * 150 * i / 24000)).ToArray(), 24000);
    static readonly float[,] Mel80 = Filled(80, 10, 1f);

    static float[,] Filled(int bins, int frames, float value)
    {
        var m = new float[bins, frames];
        for (int b = 0; b < bins; b++) for (int f = 0; f < frames; f++) m[b, f] = value;
        return m;
    }

    static AudioClip Mono(int n, int rate = 24000, float value = 0.1f) => AudioClip.Mono(Enumerable.Repeat(value, n).ToArray(), rate);

    static Tensor Disposed()
    {
        var t = zeros(80, 10);
        t.Dispose();
        return t;
    }

    /// <summary>Case name → the call and a fragment its message must hold.</summary>
    static readonly Dictionary<string, (Action Call, string Message)> Cases = new()
    {
        ["Audio null clip"] = (() => Show.Audio((AudioClip)null!), "clip is null"),
        ["Audio no channels"] = (() => Show.Audio(new AudioClip(Array.Empty<float[]>(), 24000)), "at least one channel"),
        ["Audio empty"] = (() => Show.Audio(Mono(0)), "empty (0 samples)"),
        ["Audio zero rate"] = (() => Show.Audio(Mono(100, rate: 0)), "positive sample rate; got 0 Hz"),
        ["Audio negative rate"] = (() => Show.Audio(Mono(100, rate: -16000)), "positive sample rate"),
        ["Audio NaN only"] = (() => Show.Audio(Mono(100, value: float.NaN)), "no finite sample"),
        ["Audio ragged channels"] = (() => Show.Audio(new AudioClip(new[] { new float[10], new float[5] }, 24000)), "equal length; got 10, 5"),
        ["Audio blank path"] = (() => Show.Audio(" "), "wavPath is empty"),
        ["CompareAudio null"] = (() => Show.CompareAudio(Speech, (AudioClip)null!), "b is null"),
        ["CompareAudio null path"] = (() => Show.CompareAudio(null!, "b.wav"), "wavA is null"),
        ["Prosody null"] = (() => Show.Prosody(null!), "clip is null"),
        ["Prosody one NaN"] = (() => Show.Prosody(AudioClip.Mono(Speech.Channels[0].Select((v, i) => i == 5 ? float.NaN : v).ToArray(), 24000)), "finite samples only; 1 of"),
        ["Prosody too short"] = (() => Show.Prosody(Mono(100)), "too short for a mel"),
        ["Prosody rate below pitch range"] = (() => Show.Prosody(Mono(2000, rate: 800)), "Nyquist"),
        ["Compare null target"] = (() => Show.Compare(null!, Speech), "target is null"),
        ["Compare empty generated"] = (() => Show.Compare(Speech, Mono(0)), "generated is empty"),
        ["Mel null array"] = (() => Show.Mel((float[,])null!), "mel is null"),
        ["Mel empty array"] = (() => Show.Mel(new float[80, 0]), "non-empty mel [bins, frames]; got [80, 0]"),
        ["Mel NaN only"] = (() => Show.Mel(Filled(4, 3, float.NaN)), "no finite value"),
        ["Mel zero rate"] = (() => Show.Mel(Mel80, sampleRate: 0), "sampleRate must be positive"),
        ["Mel negative hop"] = (() => Show.Mel(Mel80, hopLength: -480), "hopLength must be positive"),
        ["Mel tensor batch 2"] = (() => Show.Mel(zeros(2, 80, 10)), "[1, bins, frames]; got float32 [2, 80, 10]"),
        ["Mel tensor int64"] = (() => Show.Mel(zeros(new long[] { 80, 10 }, ScalarType.Int64)), "floating-point mel [bins, frames] or [1, bins, frames]; got int64 [80, 10]"),
        ["Mel tensor rank 1"] = (() => Show.Mel(zeros(80)), "got float32 [80]"),
        ["Mel tensor empty"] = (() => Show.Mel(zeros(80, 0)), "got float32 [80, 0]"),
        ["Mel tensor NaN only"] = (() => Show.Mel(full(80, 10, float.NaN)), "no finite value"),
        ["Mel tensor disposed"] = (() => Show.Mel(Disposed()), "disposed"),
        ["Mel tensor null"] = (() => Show.Mel((Tensor)null!), "mel is null"),
        ["CompareMels bins differ"] = (() => Show.CompareMels(Mel80, Filled(40, 10, 1f)), "same number of mel bins; got 80 and 40"),
        ["CompareMels tensor batch"] = (() => Show.CompareMels(zeros(1, 80, 10), zeros(3, 80, 10)), "got float32 [3, 80, 10]"),
        ["CompareMels zero hop"] = (() => Show.CompareMels(Mel80, Mel80, hopLength: 0), "hopLength must be positive"),
        ["Run blank"] = (() => Show.Run(""), "runDir is empty"),
        ["MelChart.Heatmap null"] = (() => MelChart.Heatmap((float[,])null!), "mel is null"),
        ["MelChart.Heatmap NaN"] = (() => MelChart.Heatmap(Filled(2, 2, float.PositiveInfinity)), "no finite value"),
        ["MelChart.Heatmap zero rate"] = (() => MelChart.Heatmap(Mel80, sampleRate: 0), "sampleRate"),
        ["MelChart.Heatmap int tensor"] = (() => MelChart.Heatmap(zeros(new long[] { 80, 10 }, ScalarType.Int32)), "got int32 [80, 10]"),
        ["MelChart.Compare bins differ"] = (() => MelChart.Compare(Filled(40, 10, 1f), Mel80), "same number of mel bins"),
        ["MelChart.Compare NaN generated"] = (() => MelChart.Compare(Mel80, Filled(80, 10, float.NaN)), "generated holds no finite value"),
        ["MelChart.Compare tensor batch"] = (() => MelChart.Compare(zeros(2, 80, 10), zeros(80, 10)), "target must be"),
        ["MelChart.ToArray rank 4"] = (() => MelChart.ToArray(zeros(1, 1, 80, 10)), "got float32 [1, 1, 80, 10]"),
        ["MelChart.ToArray bool"] = (() => MelChart.ToArray(zeros(new long[] { 80, 10 }, ScalarType.Bool)), "got bool [80, 10]"),
        ["ClipMel.Of null"] = (() => ClipMel.Of(null!), "clip is null"),
        ["ProsodyChart.Contour frames differ"] = (() => ProsodyChart.Contour(Mel80, Prosody.Analyze(Speech)), "mel has 10 frames but the contour"),
        ["ProsodyChart.Groups empty"] = (() => ProsodyChart.Groups(Array.Empty<ProsodyGroup>()), "no groups"),
        ["ProsodyChart.Compare null"] = (() => ProsodyChart.Compare(null!), "comparison"),
        ["TrainingCharts.FromRun blank"] = (() => TrainingCharts.FromRun("  "), "runDir is empty"),
        ["TrainingCharts.Losses null"] = (() => TrainingCharts.Losses(null!), "history"),
        ["LiveTrainingChart.Attach null"] = (() => LiveTrainingChart.Attach(null!), "events"),
        ["LiveTrainingChart.Attach negative interval"] = (() => LiveTrainingChart.Attach(new TrainingEvents(), TimeSpan.FromSeconds(-1)), "minInterval must be zero or positive"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Bad_input_is_an_ArgumentException_that_says_what_was_expected(string name)
    {
        var (call, message) = Cases[name];
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Good_input_passes_the_same_checks()
    {
        using var batchOfOne = zeros(1, 80, 10);
        Assert.Equal(10, Show.Mel(batchOfOne).Mel.GetLength(1));
        using var half = ones(80, 10, dtype: ScalarType.Float16);
        Assert.Equal(1f, Show.Mel(half).Mel[3, 4]);
        Assert.Equal(Speech.Length, Show.Audio(Speech).Clip.Length);
        var view = Show.Prosody(Speech);
        Assert.InRange(view.Contour.Summarize().MedianF0, 147, 153);   // the 150 Hz sine's pitch
    }
}
