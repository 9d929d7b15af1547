using System.Diagnostics;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>
/// One loss chart in the current notebook cell that follows a training run: displayed once when attached, then
/// updated in place (at most every <see cref="MinInterval"/>) as the trainer's events arrive, and a last time on
/// <see cref="RunFinished"/>, on cell cancellation and on <see cref="Dispose"/>, so a stopped cell still shows every
/// step. The trainer knows nothing about it: it is one more subscriber of <see cref="TrainingEvents"/>.
/// Events arrive on the training thread; every method is safe to call from any thread.
/// </summary>
/// <example><code>
/// using var live = LiveTrainingChart.Attach(trainer.Events);
/// trainer.Run();
/// </code></example>
public sealed class LiveTrainingChart : IDisposable
{
    readonly object gate = new();
    readonly TrainingHistory history = new();
    readonly DisplayedValue display;
    readonly IDisposable subscription;
    readonly CancellationTokenRegistration cancellation;
    readonly Stopwatch sinceUpdate = Stopwatch.StartNew();
    readonly bool carriesLibrary;
    readonly string? title;
    bool dirty, disposed;

    LiveTrainingChart(KernelInvocationContext context, TrainingEvents events, TimeSpan minInterval, string? title)
    {
        MinInterval = minInterval;
        this.title = title;
        // If this chart is the first of the process it carries plotly.js, and must keep doing so on every update:
        // each update replaces the previous output, and a saved notebook holds only the last one.
        carriesLibrary = PlotlyHtml.TakeLibrary();
        display = KernelInvocationContextExtensions.Display(context, Render(), HtmlFormatter.MimeType);
        subscription = events.Subscribe(OnEvent);
        cancellation = context.CancellationToken.Register(Flush);
    }

    /// <summary>
    /// Shows a chart in the running cell and keeps it current while <paramref name="events"/>' run trains.
    /// <paramref name="minInterval"/> (default 0.5 s) bounds how often the page is redrawn; zero redraws on every event.
    /// </summary>
    public static LiveTrainingChart Attach(TrainingEvents events, TimeSpan? minInterval = null, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (minInterval < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(minInterval), minInterval, "LiveTrainingChart.Attach: minInterval must be zero or positive");
        var context = KernelInvocationContext.Current
            ?? throw new InvalidOperationException("LiveTrainingChart.Attach needs a running notebook cell (KernelInvocationContext.Current is null)");
        return new LiveTrainingChart(context, events, minInterval ?? TimeSpan.FromSeconds(0.5), title);
    }

    /// <summary>The shortest time between two redraws.</summary>
    public TimeSpan MinInterval { get; }

    /// <summary>How many times the display was updated after it first appeared.</summary>
    public int Updates { get; private set; }

    void OnEvent(TrainingEvent e)
    {
        lock (gate)
        {
            if (disposed || !history.Add(e)) return;
            dirty = true;
            if (e is RunFinished || sinceUpdate.Elapsed >= MinInterval) UpdateLocked();
        }
    }

    /// <summary>Redraws now if anything arrived since the last redraw.</summary>
    public void Flush()
    {
        lock (gate) UpdateLocked();
    }

    void UpdateLocked()
    {
        if (!dirty) return;
        dirty = false;
        display.Update(Render());
        Updates++;
        sinceUpdate.Restart();
    }

    HtmlString Render() => new(PlotlyHtml.Render(TrainingCharts.Losses(history, title), carriesLibrary));

    /// <summary>Stops following the run after a final redraw.</summary>
    public void Dispose()
    {
        subscription.Dispose();
        cancellation.Dispose();
        lock (gate)
        {
            if (disposed) return;
            UpdateLocked();
            disposed = true;
        }
    }
}
