using StepAudio.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// The vq02 k-means codebook (upstream's <c>linguistic_tokenizer.npy</c>, float32 [K, D]) and tokenizer.py
/// <c>dump_label</c>'s nearest-centroid lookup: code = argmin over k of ||x||² − 2 x·c_k + ||c_k||², ties to the
/// lowest index (torch's argmin keeps the first minimum).
/// </summary>
public sealed class LinguisticCodebook : IDisposable
{
    readonly Tensor squaredNorms;

    /// <summary>Takes ownership of a float [K, D] codebook (converted to float32, as upstream computes).</summary>
    public LinguisticCodebook(Tensor centroids)
    {
        if (centroids.dim() != 2 || centroids.shape[0] < 1 || centroids.shape[1] < 1)
            throw new ArgumentException($"codebook must be [K, D] with K, D >= 1, got [{string.Join(", ", centroids.shape)}]");
        if (!centroids.is_floating_point())
            throw new ArgumentException($"codebook must be floating point, got {centroids.dtype}");
        Centroids = centroids.dtype == ScalarType.Float32 ? centroids : ConvertOwned(centroids);
        squaredNorms = Centroids.square().sum(1);
    }

    /// <summary>The [K, D] float32 centroids.</summary>
    public Tensor Centroids { get; }
    /// <summary>Number of codes K.</summary>
    public long Size => Centroids.shape[0];
    /// <summary>Feature dimension D.</summary>
    public long Dim => Centroids.shape[1];

    /// <summary>
    /// Loads <c>linguistic_tokenizer.npy</c>; a file that is not a 2-D float array is an <see cref="InputException"/>.
    /// </summary>
    public static LinguisticCodebook Load(string path)
    {
        var t = NpyFile.Read(path);
        if (t.dim() != 2 || !t.is_floating_point() || t.shape[0] < 1 || t.shape[1] < 1)
        {
            var what = $"codebook is {t.dtype} [{string.Join(", ", t.shape)}], not a float [K, D] array with K, D >= 1";
            t.Dispose();
            throw new InputException(path, null, null, what,
                "point at upstream's linguistic_tokenizer.npy (the vq02 k-means centroids)");
        }
        return new LinguisticCodebook(t);
    }

    /// <summary>Maps encoder outputs [T, D] to int64 codes [T] by nearest centroid (squared Euclidean).</summary>
    public Tensor Encode(Tensor features)
    {
        if (features.dim() != 2 || features.shape[1] != Dim)
            throw new ArgumentException(
                $"features must be [T, {Dim}] to match the codebook [{Size}, {Dim}], got [{string.Join(", ", features.shape)}]");
        if (!features.is_floating_point())
            throw new ArgumentException($"features must be floating point, got {features.dtype}");
        using var scope = NewDisposeScope();
        var x = features.to(ScalarType.Float32);
        var c = Centroids.to(x.device);
        // Same expansion as dump_label; mm (not matmul) so a shape slip throws instead of aborting the process.
        var dist = x.square().sum(1, keepdim: true) - 2 * x.mm(c.t()) + squaredNorms.to(x.device).unsqueeze(0);
        return dist.argmin(1).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="Encode(Tensor)"/> on a float array of T rows of D values, returning the codes.</summary>
    public long[] Encode(float[] features)
    {
        if (features.Length % Dim != 0)
            throw new ArgumentException($"{features.Length} values are not whole rows of {Dim}");
        using var x = tensor(features, [features.Length / Dim, Dim]);
        using var codes = Encode(x);
        return codes.data<long>().ToArray();
    }

    static Tensor ConvertOwned(Tensor t)
    {
        using (t) return t.to_type(ScalarType.Float32);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        squaredNorms.Dispose();
        Centroids.Dispose();
    }
}
