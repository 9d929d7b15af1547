namespace StepAudio.Tokenizers;

/// <summary>
/// A small seeded pseudo-random generator (SplitMix64): the same seed gives the same draws on every machine and .NET
/// version, which <see cref="System.Random"/> does not promise. Used wherever a fitted file must be byte-identical.
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    ulong state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in <c>[0, n)</c>.</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        return (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);
    }

    /// <summary>A uniform double in <c>[0, 1)</c>.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}

/// <summary>The outcome of <see cref="KMeans.Fit"/>: the codebook and how the fit went.</summary>
/// <param name="Centroids">Row-major <c>[K, Dim]</c>.</param>
/// <param name="K">Codebook size.</param>
/// <param name="Dim">Vector width.</param>
/// <param name="Iterations">Lloyd iterations run.</param>
/// <param name="Converged">Whether the assignments stopped changing before the iteration cap.</param>
/// <param name="InitialDistortion">Mean squared distance to the nearest centroid after k-means++ initialisation.</param>
/// <param name="Distortion">The same after the last iteration.</param>
/// <param name="Reseeded">Empty clusters re-seeded over the whole fit.</param>
public sealed record KMeansResult(float[] Centroids, int K, int Dim, int Iterations, bool Converged,
    double InitialDistortion, double Distortion, int Reseeded);

/// <summary>
/// Plain k-means on row-major float vectors: k-means++ initialisation from a <see cref="SeededRandom"/>, then Lloyd
/// iterations until no assignment changes or <c>maxIterations</c>. An empty cluster is re-seeded with the point
/// farthest from its centroid (ties: lowest index). Distances are summed in a fixed order and ties go to the lowest
/// centroid index, so a fit is a pure function of its inputs (byte-identical codebooks across runs and thread counts).
/// </summary>
public static class KMeans
{
    /// <summary>Fits <paramref name="k"/> centroids to the <c>[N, dim]</c> vectors in <paramref name="data"/>.</summary>
    public static KMeansResult Fit(float[] data, int dim, int k, ulong seed, int maxIterations)
    {
        if (dim <= 0 || data.Length % dim != 0)
            throw new ArgumentException($"data length {data.Length} is not a multiple of dim {dim}", nameof(data));
        int n = data.Length / dim;
        if (n == 0) throw new ArgumentException("k-means needs at least one vector", nameof(data));
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "must be positive");
        if (maxIterations < 0) throw new ArgumentOutOfRangeException(nameof(maxIterations), maxIterations, "must be ≥ 0");

        var centroids = InitPlusPlus(data, dim, n, k, new SeededRandom(seed));
        var assign = new int[n];
        var dist = new float[n];
        Assign(data, dim, centroids, k, assign, dist);
        double initial = Mean(dist);
        int iterations = 0, reseeded = 0;
        bool converged = false;
        var next = new int[n];
        while (iterations < maxIterations)
        {
            reseeded += Update(data, dim, centroids, k, assign, dist);
            iterations++;
            Assign(data, dim, centroids, k, next, dist);
            bool changed = !next.AsSpan().SequenceEqual(assign);
            (assign, next) = (next, assign);
            if (!changed)
            {
                converged = true;
                break;
            }
        }
        return new KMeansResult(centroids, k, dim, iterations, converged, initial, Mean(dist), reseeded);
    }

    /// <summary>Mean squared distance of each <c>[N, dim]</c> vector to its nearest centroid (<c>[K, dim]</c>).</summary>
    public static double Distortion(float[] data, int dim, float[] centroids)
    {
        int n = data.Length / dim, k = centroids.Length / dim;
        var assign = new int[n];
        var dist = new float[n];
        Assign(data, dim, centroids, k, assign, dist);
        return Mean(dist);
    }

    /// <summary>The index of the centroid nearest to <paramref name="x"/> (ties: lowest index).</summary>
    public static int Nearest(ReadOnlySpan<float> x, float[] centroids, int k)
    {
        int dim = x.Length, best = 0;
        float bestD = float.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            float d = SquaredDistance(x, centroids.AsSpan(c * dim, dim));
            if (d < bestD)
            {
                bestD = d;
                best = c;
            }
        }
        return best;
    }

    /// <summary>Squared Euclidean distance, summed in a fixed order (four interleaved partial sums).</summary>
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0, n = a.Length;
        for (; i + 4 <= n; i += 4)
        {
            float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        for (; i < n; i++)
        {
            float d = a[i] - b[i];
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    static float[] InitPlusPlus(float[] data, int dim, int n, int k, SeededRandom rng)
    {
        var centroids = new float[k * dim];
        int first = rng.Next(n);
        Array.Copy(data, first * dim, centroids, 0, dim);
        var minD = new float[n];
        Parallel.For(0, n, i => minD[i] = SquaredDistance(data.AsSpan(i * dim, dim), centroids.AsSpan(0, dim)));
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            for (int i = 0; i < n; i++) total += minD[i];
            int pick;
            if (total <= 0) pick = rng.Next(n);   // every point already coincides with a centroid
            else
            {
                double r = rng.NextDouble() * total, cum = 0;
                pick = -1;
                int lastPositive = 0;
                for (int i = 0; i < n; i++)
                {
                    if (minD[i] <= 0) continue;
                    lastPositive = i;
                    cum += minD[i];
                    if (cum > r)
                    {
                        pick = i;
                        break;
                    }
                }
                if (pick < 0) pick = lastPositive;   // rounding at the very end of the sum
            }
            Array.Copy(data, pick * dim, centroids, c * dim, dim);
            int cc = c;
            Parallel.For(0, n, i =>
            {
                float d = SquaredDistance(data.AsSpan(i * dim, dim), centroids.AsSpan(cc * dim, dim));
                if (d < minD[i]) minD[i] = d;
            });
        }
        return centroids;
    }

    static void Assign(float[] data, int dim, float[] centroids, int k, int[] assign, float[] dist)
    {
        int n = assign.Length;
        // Each point is independent, so the parallel loop gives the same answer as a sequential one.
        Parallel.For(0, (n + 255) / 256, block =>
        {
            int end = Math.Min(n, (block + 1) * 256);
            for (int i = block * 256; i < end; i++)
            {
                var x = data.AsSpan(i * dim, dim);
                int best = 0;
                float bestD = float.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    float d = SquaredDistance(x, centroids.AsSpan(c * dim, dim));
                    if (d < bestD)
                    {
                        bestD = d;
                        best = c;
                    }
                }
                assign[i] = best;
                dist[i] = bestD;
            }
        });
    }

    /// <summary>Moves each centroid to its points' mean; returns how many empty clusters were re-seeded.</summary>
    static int Update(float[] data, int dim, float[] centroids, int k, int[] assign, float[] dist)
    {
        int n = assign.Length;
        var sums = new double[k * dim];
        var counts = new int[k];
        for (int i = 0; i < n; i++)
        {
            int c = assign[i];
            counts[c]++;
            var x = data.AsSpan(i * dim, dim);
            var s = sums.AsSpan(c * dim, dim);
            for (int j = 0; j < dim; j++) s[j] += x[j];
        }
        int reseeded = 0;
        int[]? farthest = null;
        int nextFar = 0;
        for (int c = 0; c < k; c++)
        {
            if (counts[c] > 0)
            {
                for (int j = 0; j < dim; j++) centroids[c * dim + j] = (float)(sums[c * dim + j] / counts[c]);
                continue;
            }
            // Empty: take the worst-served point (descending distance, ties by index), one point per empty cluster.
            farthest ??= Enumerable.Range(0, n).OrderByDescending(i => dist[i]).ThenBy(i => i).ToArray();
            int p = farthest[Math.Min(nextFar++, n - 1)];
            Array.Copy(data, p * dim, centroids, c * dim, dim);
            reseeded++;
        }
        return reseeded;
    }

    static double Mean(float[] values)
    {
        double s = 0;
        foreach (var v in values) s += v;
        return values.Length == 0 ? 0 : s / values.Length;
    }
}
