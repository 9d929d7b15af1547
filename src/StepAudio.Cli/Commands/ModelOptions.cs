using System.CommandLine;
using StepAudio.Audio;
using StepAudio.Config;
using StepAudio.Inference;

namespace StepAudio.Cli.Commands;

/// <summary>
/// The model options <c>clone</c> and <c>edit</c> share: the config names the base models and tokenizers, a run folder
/// or checkpoints the fine-tuned weights (neither: the base model), <c>--seed</c> the sampling, <c>--out</c> the WAV.
/// </summary>
public sealed class ModelOptions
{
    readonly Option<FileInfo?> config = new("--config") { Description = "YAML config (default: the embedded default, configs/tiny.yaml)" };
    readonly Option<DirectoryInfo?> run = new("--run") { Description = "a finetune run folder: use its llm_best and flow_best" };
    readonly Option<FileInfo?> llm = new("--llm-ckpt") { Description = "an llm_*.pt checkpoint (instead of --run)" };
    readonly Option<FileInfo?> flow = new("--flow-ckpt") { Description = "a flow_*.pt checkpoint (instead of --run)" };
    readonly Option<long?> seed = new("--seed") { Description = "seed of the LLM sampling and the flow noise" };
    readonly Option<FileInfo> output = new("--out") { Description = "output WAV (24 kHz)", Required = true };
    readonly Option<string?> device = DeviceOption.Create();
    readonly Option<double> maxSeconds = new("--max-seconds") { Description = "longest audio the LLM may write (it stops earlier at EOS)", DefaultValueFactory = _ => 20 };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { config, run, llm, flow, seed, output, maxSeconds, device }) command.Options.Add(o);
    }

    /// <summary>Loads the models the parsed options name.</summary>
    public StepAudioTts Load(ParseResult parse)
    {
        var runDir = parse.GetValue(run)?.FullName;
        if (runDir != null && (parse.GetValue(llm) != null || parse.GetValue(flow) != null))
            throw new UsageException("--run cannot be combined with --llm-ckpt/--flow-ckpt");
        var cfg = DeviceOption.Apply(ConfigLoader.Load(parse.GetValue(config)?.FullName ?? DefaultConfig.Locate()), parse, device);
        return StepAudioTts.Load(cfg, runDir, parse.GetValue(llm)?.FullName, parse.GetValue(flow)?.FullName);
    }

    /// <summary>Sampling options from <c>--seed</c>.</summary>
    public TtsOptions Options(ParseResult parse)
    {
        double max = parse.GetValue(maxSeconds);
        if (!(max > 0)) throw new UsageException($"--max-seconds must be > 0, got {max}");
        return new TtsOptions { Seed = parse.GetValue(seed), MaxSeconds = max };
    }

    /// <summary>Writes the result to <c>--out</c> and reports it.</summary>
    public int Write(ParseResult parse, TtsResult result)
    {
        var path = parse.GetValue(output)!.FullName;
        AtomicFile.Write(path, tmp => WavFile.Write(tmp, result.Audio));
        Console.WriteLine($"wrote {path}: {result.Audio.Duration:F2} s at {result.Audio.SampleRate} Hz, {result.AudioTokens.Count} audio tokens" +
                          (result.StoppedAtEos ? "" : " (the LLM did not end with EOS; stopped at the length limit)"));
        return StepAudioCli.Success;
    }
}
