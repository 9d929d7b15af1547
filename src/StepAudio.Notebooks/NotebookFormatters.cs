using Microsoft.DotNet.Interactive.Formatting;

namespace StepAudio.Notebooks;

/// <summary>Registers every text/html formatter of the toolkit (process-wide, like all .NET Interactive formatters).</summary>
public static class NotebookFormatters
{
    /// <summary>Registers the formatters; safe to call again after <see cref="Formatter.ResetToDefault"/>.</summary>
    public static void Register()
    {
    }
}
