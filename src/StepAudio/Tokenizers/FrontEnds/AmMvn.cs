using System.Globalization;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// The Kaldi-nnet text CMVN file (<c>am.mvn</c>) of the Paraformer front end, read like FunASR <c>load_cmvn</c>, and
/// <c>apply_cmvn</c>.
/// </summary>
public static class AmMvn
{
    /// <summary>
    /// <c>[2, dim]</c>: row 0 the <c>&lt;AddShift&gt;</c> values (= −mean), row 1 the <c>&lt;Rescale&gt;</c> values (= 1/std).
    /// Each tag's next line is <c>&lt;LearnRateCoef&gt; c [ v1 … vd ]</c>. Values are parsed as double then rounded to
    /// float32, as numpy's <c>astype(float32)</c> of the strings does. Problems are <see cref="InputException"/>s.
    /// </summary>
    public static Tensor Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "the CMVN file does not exist", "point to the am.mvn shipped with the Paraformer model");
        var lines = File.ReadAllLines(path);
        float[]? shift = null, scale = null;
        for (int i = 0; i < lines.Length; i++)
        {
            var items = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (items.Length == 0) continue;
            if (items[0] == "<AddShift>") shift = ReadValues(path, lines, i + 1, "<AddShift>");
            else if (items[0] == "<Rescale>") scale = ReadValues(path, lines, i + 1, "<Rescale>");
        }
        const string fix = "use the am.mvn shipped with the model (Kaldi nnet text: <AddShift> and <Rescale> blocks)";
        if (shift is null) throw new InputException(path, null, "<AddShift>", "no <AddShift> block (the mean shift)", fix);
        if (scale is null) throw new InputException(path, null, "<Rescale>", "no <Rescale> block (the inverse std)", fix);
        if (shift.Length != scale.Length)
            throw new InputException(path, null, null,
                $"<AddShift> has {shift.Length} values but <Rescale> has {scale.Length}", fix);
        var both = new float[2 * shift.Length];
        shift.CopyTo(both, 0);
        scale.CopyTo(both, shift.Length);
        return tensor(both, new long[] { 2, shift.Length }, ScalarType.Float32);
    }

    static float[] ReadValues(string path, string[] lines, int index, string tag)
    {
        const string fix = "the line after the tag must read '<LearnRateCoef> 0 [ v1 v2 ... ]'";
        if (index >= lines.Length)
            throw new InputException(path, index, tag, "the file ends right after the tag", fix);
        var items = lines[index].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (items.Length < 4 || items[0] != "<LearnRateCoef>" || items[2] != "[" || items[^1] != "]")
            throw new InputException(path, index + 1, tag, $"expected '<LearnRateCoef> c [ values ]', got '{Clip(lines[index])}'", fix);
        var values = new float[items.Length - 4];
        for (int k = 0; k < values.Length; k++)
        {
            var s = items[k + 3];
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new InputException(path, index + 1, tag, $"value {k + 1} '{Clip(s)}' is not a finite number", fix);
            values[k] = (float)v;
        }
        if (values.Length == 0) throw new InputException(path, index + 1, tag, "the value list is empty", fix);
        return values;
    }

    static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>FunASR <c>apply_cmvn</c>: <c>(x + cmvn[0, :D]) · cmvn[1, :D]</c> for <c>x [T, D]</c>.</summary>
    public static Tensor Apply(Tensor inputs, Tensor cmvn)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(cmvn);
        if (inputs.dim() != 2 || cmvn.dim() != 2 || cmvn.shape[0] != 2 || cmvn.shape[1] < inputs.shape[1])
            throw new ArgumentException(
                $"AmMvn.Apply: needs inputs [T, D] and cmvn [2, ≥ D]; got [{string.Join(",", inputs.shape)}] and [{string.Join(",", cmvn.shape)}]");
        using var scope = NewDisposeScope();
        long d = inputs.shape[1];
        var c = cmvn.to(inputs.device);
        var output = (inputs + c[0].narrow(0, 0, d)) * c[1].narrow(0, 0, d);
        return output.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
