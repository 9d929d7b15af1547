using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Config;
using StepAudio.Inference;
using StepAudio.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class ModelFormatterTests : IDisposable
{
    public ModelFormatterTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public void A_parameter_summary_shows_trainable_and_frozen_counts_and_the_lora_share()
    {
        var model = nn.Sequential(("base", nn.Linear(100, 100)), ("lora_A", nn.Linear(100, 4, hasBias: false)));
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = name.StartsWith("lora_A");
        var summary = ParameterSummary.Of(model, name => name);

        var html = Formatter.ToDisplayString(summary, HtmlFormatter.MimeType);

        Assert.Contains("<td>base.weight</td><td>1</td><td>10,000</td><td>0</td><td>10,000</td><td>0.00%</td>", html);
        Assert.Contains("<td>lora_A.weight</td><td>1</td><td>400</td><td>400</td><td>0</td><td>100.00%</td>", html);
        Assert.Contains("<td>total</td><td>3</td><td>10,500</td><td>400</td><td>10,100</td>", html);
        Assert.Contains("LoRA: 400 (3.8095% of all)", html);
    }

    [Fact]
    public void A_config_shows_as_escaped_yaml()
    {
        var config = ConfigLoader.Load(RepoPaths.TinyConfig);
        config.Data.TrainPath = "<script>alert(1)</script>.jsonl";
        var html = Formatter.ToDisplayString(config, HtmlFormatter.MimeType);
        Assert.Contains("<pre class=\"sa-yaml\">", html);
        Assert.Contains("lora_r: 8", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Fact]
    public void A_checkpoint_with_many_tensors_lists_the_first_rows_and_counts_the_rest()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("sa-ckpt"), "model.safetensors");
        var tensors = Enumerable.Range(0, 100).ToDictionary(i => $"layers.{i:D3}.weight", i => zeros(2, 3 + i % 2));
        SafetensorsFile.Save(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();

        var html = Formatter.ToDisplayString(CheckpointInspector.Inspect(path), HtmlFormatter.MimeType);

        Assert.Contains("<td>layers.000.weight</td><td>F32</td><td>[2, 3]</td><td>6</td>", html);
        Assert.Contains($"<td>layers.{CheckpointHtml.MaxRows - 1:D3}.weight</td>", html);
        Assert.DoesNotContain($"<td>layers.{CheckpointHtml.MaxRows:D3}.weight</td>", html);
        Assert.Contains($"… and {100 - CheckpointHtml.MaxRows} more (of 100)", html);
        Assert.Contains("100 tensors", html);
    }

    [Fact]
    public void A_tts_result_shows_its_player_and_mel_heatmap()
    {
        var audio = AudioClip.Mono(Enumerable.Range(0, 24000).Select(i => 0.2f * MathF.Sin(i * 0.05f)).ToArray(), 24000);
        var mel = new float[80, 50];
        var html = Formatter.ToDisplayString(new TtsResult(audio, mel, new[] { 1, 2, 3 }, new[] { 4, 5 }, false), HtmlFormatter.MimeType);
        Assert.Contains("data:audio/wav;base64,UklGR", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("\"type\":\"heatmap\"", html);
        Assert.Contains("hit the length limit", html);
    }
}
