using StepAudio.Config;

namespace StepAudio.Notebooks;

/// <summary>A config as the YAML <c>finetune</c> would save (<see cref="ConfigWriter.ToYaml"/>): every resolved value, readable.</summary>
public static class ConfigHtml
{
    public static string Render(StepAudioConfig config) =>
        Html.Section("Config" + (config.SourcePath is { } p ? " · " + p : ""),
            $"<pre class=\"sa-yaml\">{Html.Encode(ConfigWriter.ToYaml(config))}</pre>");
}
