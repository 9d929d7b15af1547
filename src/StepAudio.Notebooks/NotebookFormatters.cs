using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Inference;
using StepAudio.Nn;

namespace StepAudio.Notebooks;

/// <summary>Registers every text/html formatter of the toolkit (process-wide, like all .NET Interactive formatters).</summary>
public static class NotebookFormatters
{
    /// <summary>Registers the formatters; safe to call again after <see cref="Formatter.ResetToDefault"/>.</summary>
    public static void Register()
    {
        Add<AudioClip>(c => AudioHtml.Render(c));
        Add<AudioView>(v => AudioHtml.Render(v.Clip, v.Title));
        Add<AudioComparison>(v => AudioHtml.Compare(v.A, v.B, v.LabelA, v.LabelB, v.Title));
        Add<MelView>(v => Html.Section(null, PlotlyHtml.Render(v.Chart)));
        Add<MelComparison>(v => Html.Section(null, PlotlyHtml.Render(v.Chart)));
        Add<ProsodyView>(ProsodyHtml.Render);
        Add<ClipComparison>(ProsodyHtml.Render);
        Add<RunOverview>(RunOverviewHtml.Render);
        Add<DataReport>(DataReportHtml.Render);
        Add<ParameterSummary>(ParameterSummaryHtml.Render);
        Add<StepAudioConfig>(ConfigHtml.Render);
        Add<CheckpointInfo>(CheckpointHtml.Render);
        Add<TtsResult>(TtsResultHtml.Render);
        Add<SetupCheck>(c => c.ToHtml());
        Add<LoraSweepResult>(LoraSweepCharts.TableHtml);
        Add<Evaluation.EvaluationReport>(EvaluationHtml.Render);
        // Replaces Plotly.NET.Interactive's formatter if that is loaded too: ours renders offline (see PlotlyHtml).
        Add<GenericChart>(PlotlyHtml.Render);
    }

    static void Add<T>(Func<T, string> render) =>
        Formatter.Register<T>((value, writer) => writer.Write(render(value)), HtmlFormatter.MimeType);
}
