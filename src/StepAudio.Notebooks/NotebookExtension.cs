using System.Reflection;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive;
using StepAudio.Platform;

namespace StepAudio.Notebooks;

/// <summary>
/// What <c>#r "nuget:StepAudio.Notebooks"</c> runs (through <c>interactive-extensions/dotnet/extension.dib</c>):
/// makes TorchSharp and Plotly.NET load inside the notebook tool and registers the toolkit's HTML formatters.
/// </summary>
public static class NotebookExtension
{
    static int loaded;

    /// <summary>Installs the load fixes once per process and (again) the formatters, and announces itself.</summary>
    public static void Load(Kernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (Interlocked.Exchange(ref loaded, 1) == 0)
        {
            // Both before the first torch call or chart: a failed TorchSharp type initializer needs a kernel restart.
            TorchRuntime.EnsureRegistered();
            FSharpCoreResolver.Install();
        }
        // Every time: Formatter.ResetToDefault() (a user's, or a test's) drops them.
        NotebookFormatters.Register();
        if (KernelInvocationContext.Current is { } context)
        {
            var library = PlotlyHtml.LibraryScript();
            var note = library == null ? "" : $" ({Html.Encode(PlotlyJs.ResourceName)} inlined: charts render offline)";
            KernelInvocationContextExtensions.Display(context,
                new HtmlString($"<div>StepAudio.Notebooks {Html.Encode(Version)} loaded{note}</div>{library}"), "text/html");
        }
    }

    /// <summary>The package's informational version (e.g. <c>0.1.0-dev.20261202.061500</c>).</summary>
    public static string Version =>
        typeof(NotebookExtension).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Split('+')[0] ?? "unknown";
}
