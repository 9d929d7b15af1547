namespace StepAudio.Notebooks.Tests.Setup;

public sealed class ChartMathTests
{
    [Fact]
    public void Cosine_similarity_is_one_for_the_same_direction_zero_for_orthogonal_minus_one_for_opposite()
    {
        Assert.Equal(1, DataCharts.Cosine(new[] { 1f, 2f }, new[] { 2f, 4f }), 6);
        Assert.Equal(0, DataCharts.Cosine(new[] { 1f, 0f }, new[] { 0f, 3f }), 6);
        Assert.Equal(-1, DataCharts.Cosine(new[] { 1f, -1f }, new[] { -2f, 2f }), 6);
        Assert.Equal(0, DataCharts.Cosine(new[] { 0f, 0f }, new[] { 1f, 1f }));
        Assert.Throws<ArgumentException>(() => DataCharts.Cosine(new[] { 1f }, new[] { 1f, 2f }));
    }

    [Fact]
    public void A_sweep_needs_a_grid_and_an_epoch()
    {
        Assert.Throws<ArgumentException>(() => LoraSweep.Run(() => throw new InvalidOperationException(), Array.Empty<int>(), new[] { 1e-3 }, 1, "unused"));
        Assert.Throws<ArgumentOutOfRangeException>(() => LoraSweep.Run(() => throw new InvalidOperationException(), new[] { 4 }, new[] { 1e-3 }, 0, "unused"));
    }

    [Fact]
    public void The_sweep_table_marks_the_best_run_and_the_grid_reads_improvements()
    {
        var points = new[]
        {
            new LoraSweepPoint(4, 1e-3, 16, 100, 8.0, 7.0, new[] { 8.0, 7.0 }, 1, "a"),
            new LoraSweepPoint(4, 1e-2, 16, 100, 8.0, 6.0, new[] { 8.0, 6.0 }, 1, "b"),
        };
        var result = new LoraSweepResult(new[] { 4 }, new[] { 1e-3, 1e-2 }, points);
        Assert.Same(points[1], result.Best);
        Assert.Equal(0.25, result.At(4, 1e-2).Improvement, 9);
        Assert.Contains("best r4 lr 1e-2", LoraSweepCharts.TableHtml(result));
        Assert.Contains("sa-total", LoraSweepCharts.TableHtml(result));
        var json = Plotly.NET.GenericChart.toJson(LoraSweepCharts.Grid(result));
        Assert.Contains("12.5", json);   // (8 − 7) / 8
        Assert.Contains("25", json);
    }
}
