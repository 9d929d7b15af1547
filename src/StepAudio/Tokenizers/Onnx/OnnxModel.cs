using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StepAudio.Tokenizers.Onnx;

/// <summary>
/// What one model input or output must be: element type and shape, a dimension of −1 meaning any size.
/// <paramref name="Role"/> names it in messages, since the real name is whatever the model file says.
/// </summary>
public sealed record OnnxTensorSpec(string Role, TensorElementType Type, params long[] Dims)
{
    public string ShapeText => Text(Dims);

    internal static string Text(IEnumerable<long> dims) => "[" + string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString())) + "]";
}

/// <summary>
/// An OnnxRuntime session checked against the inputs/outputs its caller expects. Names are taken from the
/// session in order (upstream's <c>session.get_inputs()[i].name</c>), so a re-export with other names still works.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    readonly InferenceSession session;

    OnnxModel(string path, InferenceSession session)
    {
        Path = path;
        this.session = session;
        InputNames = session.InputNames.ToArray();
        OutputNames = session.OutputNames.ToArray();
    }

    public string Path { get; }
    public IReadOnlyList<string> InputNames { get; }
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Loads <paramref name="path"/>; a missing, unreadable or mismatched model is an <see cref="InputException"/>.</summary>
    public static OnnxModel Load(string path, IReadOnlyList<OnnxTensorSpec> inputs, IReadOnlyList<OnnxTensorSpec> outputs)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new InputException(path, null, null, "ONNX model file not found", "check the path, or download the model");
        InferenceSession session;
        try
        {
            session = new InferenceSession(path);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InputException(path, null, null, "not a loadable ONNX model: " + e.Message,
                "re-download the file; it may be truncated or something else", e);
        }
        var model = new OnnxModel(path, session);
        try
        {
            Check(path, "input", session.InputNames, session.InputMetadata, inputs);
            Check(path, "output", session.OutputNames, session.OutputMetadata, outputs);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    static void Check(string path, string kind, IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> meta,
        IReadOnlyList<OnnxTensorSpec> expected)
    {
        string Found() => string.Join(", ", names.Select(n => $"{n} {Describe(meta[n])}"));
        string Wanted() => string.Join(", ", expected.Select(s => $"{s.Role} {s.Type} {s.ShapeText}"));
        if (names.Count != expected.Count)
            throw new InputException(path, null, null, $"the model has {names.Count} {kind}s ({Found()}); expected {expected.Count} ({Wanted()})",
                "is this the right model file?");
        for (int i = 0; i < names.Count; i++)
        {
            var m = meta[names[i]];
            var s = expected[i];
            var dims = m.IsTensor ? m.Dimensions : Array.Empty<int>();
            bool ok = m.IsTensor && m.ElementDataType == s.Type && dims.Length == s.Dims.Length
                      && dims.Zip(s.Dims).All(p => p.First <= 0 || p.Second < 0 || p.First == p.Second);
            if (!ok)
                throw new InputException(path, null, names[i],
                    $"{kind} {i} ({s.Role}) is {Describe(m)}; expected {s.Type} {s.ShapeText}", "is this the right model file?");
        }
    }

    static string Describe(NodeMetadata m) => m.IsTensor
        ? $"{m.ElementDataType} {OnnxTensorSpec.Text(m.Dimensions.Select(d => (long)d))}"
        : m.OnnxValueType.ToString();

    /// <summary>Runs the model on inputs given in the session's input order; returns every output, in order.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyList<OrtValue> inputs)
    {
        try
        {
            using var options = new RunOptions();
            return session.Run(options, InputNames.ToArray(), inputs.ToArray(), OutputNames.ToArray());
        }
        catch (OnnxRuntimeException e)
        {
            // A shape the model rejects at run time is still a problem with the model file the user chose.
            throw new InputException(Path, null, null, "the model failed to run: " + e.Message, "is this the right model file?", e);
        }
    }

    public void Dispose() => session.Dispose();
}
