using static TorchSharp.torch;

namespace StepAudio.Nn;

/// <summary>A tensor argument of the wrong rank, size, dtype or device, caught in C# before native code sees it.</summary>
public sealed class TensorArgumentException(string message, string? paramName = null) : ArgumentException(message, paramName);

/// <summary>What element types an argument accepts.</summary>
public enum TensorKind
{
    /// <summary>Any dtype.</summary>
    Any,
    /// <summary>float16, bfloat16, float32 or float64.</summary>
    Float,
    /// <summary>int64 only (what <c>nn.Embedding</c> and Step1's ids take).</summary>
    Int64,
    /// <summary>Any integer dtype (ids, lengths).</summary>
    Integer,
}

/// <summary>One expected dimension: a name for the message and a size, or -1 for any size.</summary>
public readonly record struct Dim(string? Name, long Size)
{
    /// <summary>A dimension of any size.</summary>
    public static implicit operator Dim(string name) => new(name, -1);
    /// <summary>A dimension of exactly <paramref name="size"/>.</summary>
    public static implicit operator Dim(long size) => new(null, size);

    /// <inheritdoc />
    public override string ToString() => Size < 0 ? Name ?? "?" : Name is null ? Size.ToString() : $"{Name}={Size}";
}

/// <summary>
/// Cheap argument checks for the public model entry points: they read shape, dtype and device metadata only (plus
/// one min/max where ids index an embedding), so a notebook gets a .NET exception that says what was expected
/// instead of a native error — or, for <c>matmul</c>/<c>cummax</c>/<c>cummin</c>/<c>autograd.grad</c>, a dead process.
/// Messages read <c>Api: name must be int64 [batch, seq]; got float32 [2, 5]</c>.
/// </summary>
public static class TensorChecks
{
    /// <summary>
    /// Throws unless <paramref name="t"/> is non-null, of <paramref name="kind"/>, and has exactly the
    /// <paramref name="dims"/> given (-1 sizes match anything). Returns <paramref name="t"/>.
    /// </summary>
    public static Tensor Check(Tensor? t, string api, string name, TensorKind kind, params Dim[] dims)
    {
        if (t is null) throw new ArgumentNullException(name, $"{api}: {name} is null");
        if (t.IsInvalid) throw new TensorArgumentException($"{api}: {name} has been disposed", name);
        bool ok = KindMatches(t.dtype, kind) && t.dim() == dims.Length;
        for (int i = 0; ok && i < dims.Length; i++) ok = dims[i].Size < 0 || t.shape[i] == dims[i].Size;
        if (!ok)
            throw new TensorArgumentException(
                $"{api}: {name} must be {KindText(kind)} [{string.Join(", ", dims)}]; got {Describe(t)}", name);
        return t;
    }

    /// <summary>True when <paramref name="t"/> is on <paramref name="device"/> (<c>cuda</c> without an index matches any GPU).</summary>
    public static bool IsOn(Tensor t, Device device) =>
        t.device_type == device.type && (device.index < 0 || t.device_index == device.index);

    /// <summary>Throws unless <paramref name="t"/> lives on <paramref name="device"/> (that of the model's weights).</summary>
    public static void OnDevice(Tensor t, string api, string name, Device device)
    {
        if (!IsOn(t, device))
            throw new TensorArgumentException(
                $"{api}: {name} is on {t.device} but the model is on {device}; move it with .to(model's device)", name);
    }

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> unless every value of the integer tensor <paramref name="ids"/>
    /// lies in [<paramref name="min"/>, <paramref name="maxExclusive"/>): an out-of-range embedding index is a native error.
    /// </summary>
    public static void IdsInRange(Tensor ids, string api, string name, long min, long maxExclusive, string hint)
    {
        if (ids.numel() == 0) return;
        using var minT = ids.min();
        using var maxT = ids.max();
        long lo = minT.item<long>(), hi = maxT.item<long>();
        if (lo < min || hi >= maxExclusive)
        {
            var range = min == long.MinValue ? $"below {maxExclusive}" : $"[{min}, {maxExclusive})";
            throw new ArgumentOutOfRangeException(name,
                $"{api}: {name}: token id {(lo < min ? lo : hi)} is outside the vocabulary {range}; {hint}");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is a non-empty, non-blank string.</summary>
    public static string Text(string? value, string api, string name)
    {
        if (value is null) throw new ArgumentNullException(name, $"{api}: {name} is null");
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{api}: {name} is empty", name);
        return value;
    }

    /// <summary><c>float32 [2, 5]</c>.</summary>
    public static string Describe(Tensor t) => $"{DtypeName(t.dtype)} [{string.Join(", ", t.shape)}]";

    static bool KindMatches(ScalarType dtype, TensorKind kind) => kind switch
    {
        TensorKind.Float => is_floating_point(dtype),
        TensorKind.Int64 => dtype == ScalarType.Int64,
        TensorKind.Integer => is_integral(dtype) && dtype != ScalarType.Bool,
        _ => true,
    };

    static string KindText(TensorKind kind) => kind switch
    {
        TensorKind.Float => "floating-point",
        TensorKind.Int64 => "int64",
        TensorKind.Integer => "integer",
        _ => "a tensor",
    };

    static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => t.ToString().ToLowerInvariant(),
    };
}
