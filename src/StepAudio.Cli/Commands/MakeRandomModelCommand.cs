using System.CommandLine;
using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Llm;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio make-random-model --out DIR --tokenizer-from FILE</c>: writes <c>DIR/Step-Audio-EditX/</c>, the Step1
/// LLM of a preset (default: the real size) with seeded random weights in the released layout (bf16 shards, index,
/// config.json, tokenizer.model), for measuring real-size loading and training without the download.
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
        var command = new Command("make-random-model",
            "Write a Step1 LLM with random weights in the released Hugging Face layout (bf16 shards, index, config.json, tokenizer.model)");
        foreach (var o in new Option[] { output, llm, tokenizer, seed, shardGb }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var name = parse.GetValue(llm)!;
            if (!Step1Config.PresetNames.Contains(name))
                throw new InputException("--llm", null, null, $"unknown preset '{name}'", "use one of: " + string.Join(", ", Step1Config.PresetNames));
            var config = Step1Config.Preset(name);
            var folder = Path.Combine(parse.GetValue(output)!.FullName, "Step-Audio-EditX");
            var sw = Stopwatch.StartNew();
            var shards = Step1RandomCheckpoint.Write(folder, config, parse.GetValue(seed), (long)(parse.GetValue(shardGb) * 1e9));
            Step1RandomCheckpoint.WriteTokenizer(folder, config, parse.GetValue(tokenizer)!.FullName);
            long bytes = shards.Sum(s => new FileInfo(Path.Combine(folder, s)).Length);
            Console.WriteLine($"{folder}: {shards.Count} shards, {bytes / 1e9:F2} GB bf16, tokenizer.model ({config.VocabSize} ids, " +
                              $"<audio_0> at {config.AudioTokenOffset}), {sw.Elapsed.TotalSeconds:F0} s");
            return StepAudioCli.Success;
        }));
        return command;
    }
}
