using System.CommandLine;
using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Vocoder;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio make-random-model --out DIR --tokenizer-from FILE</c>: writes <c>DIR/Step-Audio-EditX/</c>, the Step1
/// LLM of a preset (default: the real size) with seeded random weights in the released layout (bf16 shards, index,
/// config.json, tokenizer.model), for measuring real-size loading and training without the download; with <c>--flow</c>
/// also <c>CosyVoice-300M-25Hz/flow.pt</c> and <c>hift.pt</c> at the released configuration (fp32, upstream keys).
/// </summary>
public static class MakeRandomModelCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write Step-Audio-EditX/ into", Required = true };
        var llm = new Option<string>("--llm") { Description = "LLM preset: " + string.Join(", ", Step1Config.PresetNames), DefaultValueFactory = _ => "step-audio-editx" };
        var tokenizer = new Option<FileInfo>("--tokenizer-from")
        {
            Description = "SentencePiece model whose text pieces to keep (configs/tiny-tokenizer.model); its vocabulary is re-laid to the model's",
            Required = true,
        };
        var seed = new Option<ulong>("--seed") { Description = "Random seed of the weights", DefaultValueFactory = _ => 42 };
        var shardGb = new Option<double>("--shard-gb") { Description = "Largest shard, GB", DefaultValueFactory = _ => 4.0 };
        var flow = new Option<bool>("--flow")
        {
            Description = "Also write CosyVoice-300M-25Hz/flow.pt and hift.pt: the released flow and HiFT, random fp32 weights",
        };
        var skipExisting = new Option<bool>("--skip-existing")
        {
            Description = "Keep a part already written at these sizes (the LLM shards, tokenizer.model, flow.pt, hift.pt)",
        };
        var command = new Command("make-random-model",
            "Write a Step1 LLM with random weights in the released Hugging Face layout (bf16 shards, index, config.json, tokenizer.model), " +
            "and with --flow the flow and HiFT (CosyVoice-300M-25Hz/flow.pt, hift.pt)");
        foreach (var o in new Option[] { output, llm, tokenizer, seed, shardGb, flow, skipExisting }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var name = parse.GetValue(llm)!;
            if (!Step1Config.PresetNames.Contains(name))
                throw new InputException("--llm", null, null, $"unknown preset '{name}'", "use one of: " + string.Join(", ", Step1Config.PresetNames));
            var config = Step1Config.Preset(name);
            var folder = Path.Combine(parse.GetValue(output)!.FullName, "Step-Audio-EditX");
            ulong seedValue = parse.GetValue(seed);
            bool keep = parse.GetValue(skipExisting);
            var sw = Stopwatch.StartNew();
            if (keep && Step1RandomCheckpoint.IsWritten(folder, config))
                Console.WriteLine($"{folder}: the {name} LLM is already there, kept");
            else
            {
                var shards = Step1RandomCheckpoint.Write(folder, config, seedValue, (long)(parse.GetValue(shardGb) * 1e9));
                long bytes = shards.Sum(s => new FileInfo(Path.Combine(folder, s)).Length);
                Console.WriteLine($"{folder}: {shards.Count} shards, {bytes / 1e9:F2} GB bf16, {sw.Elapsed.TotalSeconds:F0} s");
            }
            var tokenizerPath = Path.Combine(folder, "tokenizer.model");
            if (keep && File.Exists(tokenizerPath))
                Console.WriteLine($"{tokenizerPath}: already there, kept");
            else
            {
                Step1RandomCheckpoint.WriteTokenizer(folder, config, parse.GetValue(tokenizer)!.FullName);
                Console.WriteLine($"{tokenizerPath}: {config.VocabSize} ids, <audio_0> at {config.AudioTokenOffset}");
            }
            if (parse.GetValue(flow))
            {
                var flowFolder = Path.Combine(folder, CosyVoiceRandomCheckpoint.FolderName);
                Report(CosyVoiceRandomCheckpoint.WriteFlow(flowFolder, FlowConfig.StepAudioEditX, seedValue, keep), sw);
                Report(CosyVoiceRandomCheckpoint.WriteHift(flowFolder, HiftConfig.StepAudioEditX, seedValue, keep), sw);
            }
            return StepAudioCli.Success;
        }));
        return command;
    }

    static void Report((string Path, bool Kept) file, Stopwatch sw) =>
        Console.WriteLine(file.Kept
            ? $"{file.Path}: already there at these sizes, kept"
            : $"{file.Path}: {new FileInfo(file.Path).Length / 1e6:F0} MB fp32, {sw.Elapsed.TotalSeconds:F0} s");
}
