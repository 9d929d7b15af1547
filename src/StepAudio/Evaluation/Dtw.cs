namespace StepAudio.Evaluation;

/// <summary>Dynamic time warping of two sequences given only their frame distance.</summary>
public static class Dtw
{
    /// <summary>
    /// The cheapest monotone path from (0, 0) to (n − 1, m − 1) with steps (1,0), (0,1), (1,1), where a path costs the
    /// sum of <paramref name="distance"/> over its pairs. Ties go to the diagonal step. O(n·m) time and memory.
    /// </summary>
    public static List<(int A, int B)> Align(int n, int m, Func<int, int, double> distance)
    {
        ArgumentNullException.ThrowIfNull(distance);
        if (n < 1 || m < 1) throw new ArgumentException($"Dtw.Align: both sequences need a frame, got {n} and {m}");
        var cost = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double best = i == 0 && j == 0 ? 0 : double.PositiveInfinity;
                if (i > 0 && j > 0) best = cost[i - 1, j - 1];
                if (i > 0) best = Math.Min(best, cost[i - 1, j]);
                if (j > 0) best = Math.Min(best, cost[i, j - 1]);
                cost[i, j] = best + distance(i, j);
            }
        var path = new List<(int, int)>(n + m);
        for (int i = n - 1, j = m - 1; ; )
        {
            path.Add((i, j));
            if (i == 0 && j == 0) break;
            if (i == 0) j--;
            else if (j == 0) i--;
            else if (cost[i - 1, j - 1] <= Math.Min(cost[i - 1, j], cost[i, j - 1])) { i--; j--; }
            else if (cost[i - 1, j] <= cost[i, j - 1]) i--;
            else j--;
        }
        path.Reverse();
        return path;
    }
}
