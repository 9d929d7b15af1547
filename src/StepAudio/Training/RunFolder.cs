using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using StepAudio.Config;
using StepAudio.Platform;

namespace StepAudio.Training;

/// <summary>How a run folder is chosen and what may happen to one that exists.</summary>
public sealed record RunFolderOptions
{
    /// <summary><c>--output DIR</c>; null = a new <c>run-NNN</c> under <c>save.ckpt_dir</c>.</summary>
    public string? Output { get; init; }
    /// <summary><c>--resume</c>: continue from <c>last/</c> (the newest run under ckpt_dir when no output is given).</summary>
    public bool Resume { get; init; }
    /// <summary><c>--overwrite</c>: an output folder that holds a run is emptied first.</summary>
    public bool Overwrite { get; init; }
    /// <summary><c>--allow-changes</c>: resume even when the config or manifests differ from the run's.</summary>
    public bool AllowChanges { get; init; }
}

/// <summary>
/// The folder of one run: <c>config.yaml</c> (resolved), <c>run.json</c> (versions, commit, data hashes, seed,
/// machine, threads), <c>train.log</c>, <c>metrics.jsonl</c> (one line per step), <c>tensorboard/</c>, checkpoints
/// (<c>llm_best/llm_best.pt</c> with its adapter, <c>flow_best.pt</c>, <c>*_epoch_N</c>), <c>last/</c> and <c>summary.json</c>.
/// </summary>
public sealed class RunFolder
{
    RunFolder(string path) => Path = path;

    /// <summary>The folder.</summary>
    public string Path { get; }
    /// <summary>The resolved config this run trains with.</summary>
    public string ConfigFile => Combine("config.yaml");
    /// <summary>Versions, hashes and machine.</summary>
    public string RunJson => Combine("run.json");
    /// <summary>Human-readable log.</summary>
    public string TrainLog => Combine("train.log");
    /// <summary>Per-step metrics, one JSON object per line.</summary>
    public string Metrics => Combine("metrics.jsonl");
    /// <summary>Per-stage results.</summary>
    public string Summary => Combine("summary.json");
    /// <summary>TensorBoard event files.</summary>
    public string TensorBoard => Combine("tensorboard");
    /// <summary>The resumable state.</summary>
    public string Last => Combine("last");
    /// <summary>Audio samples.</summary>
    public string Samples => Combine("samples");

    /// <summary>An LLM checkpoint in its own folder, with its PEFT adapter beside it: <c>NAME/NAME.pt</c>.</summary>
    public string LlmCheckpoint(string name) => Combine(name, name + ".pt");
    /// <summary>A flow checkpoint: <c>NAME.pt</c>.</summary>
    public string FlowCheckpoint(string name) => Combine(name + ".pt");

    string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>True when the folder holds a run (a <c>run.json</c>).</summary>
    public bool HoldsRun => File.Exists(RunJson);

    /// <summary>
    /// The full path of the run <paramref name="dir"/> names (<c>--run</c>): the folder itself, or, for a folder of runs
    /// such as <c>save.ckpt_dir</c> that holds no <c>run.json</c>, its newest <c>run-NNN</c> that does.
    /// </summary>
    public static string Resolve(string dir, string option = "--run")
    {
        var full = System.IO.Path.GetFullPath(dir);
        if (!Directory.Exists(full)) throw new InputException(full, null, option, "is not a folder", "give the run folder finetune wrote");
        if (!new RunFolder(full).HoldsRun && Directory.GetDirectories(full, "run-*")
                .Where(d => new RunFolder(d).HoldsRun).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault() is { } newest)
            full = newest;
        return full;
    }

    /// <summary>Opens the folder <paramref name="options"/> and the config point to, creating, emptying or reusing it as they say.</summary>
    public static RunFolder Open(StepAudioConfig config, RunFolderOptions options)
    {
        if (options.Output is { } output)
        {
            var full = System.IO.Path.GetFullPath(output);
            var run = new RunFolder(full);
            if (options.Resume)
            {
                if (!run.HoldsRun)
                    throw new InputException(full, null, "--resume", "holds no run to resume (no run.json)",
                        "give the folder of an earlier run, or drop --resume to start one");
                return run;
            }
            if (run.HoldsRun)
            {
                if (!options.Overwrite)
                    throw new InputException(full, null, "--output", "already holds a run",
                        "add --resume to continue it, --overwrite to replace it, or choose another folder");
                Directory.Delete(full, recursive: true);
            }
            Directory.CreateDirectory(full);
            return run;
        }
        var root = System.IO.Path.GetFullPath(config.Save.CkptDir);
        var existing = Directory.Exists(root)
            ? Directory.GetDirectories(root, "run-*").Select(d => (d, n: RunNumber(d))).Where(x => x.n > 0).OrderBy(x => x.n).ToList()
            : new List<(string d, int n)>();
        if (options.Resume)
        {
            var latest = existing.Select(x => new RunFolder(x.d)).LastOrDefault(r => r.HoldsRun)
                ?? throw new InputException(root, null, "--resume", "holds no run to resume", "start a run first, or name one with --output");
            return latest;
        }
        int next = existing.Count == 0 ? 1 : existing[^1].n + 1;
        for (; ; next++)
        {
            var dir = System.IO.Path.Combine(root, $"run-{next:D3}");
            if (Directory.Exists(dir)) continue;
            Directory.CreateDirectory(dir);
            return new RunFolder(dir);
        }
    }

    static int RunNumber(string dir) =>
        int.TryParse(System.IO.Path.GetFileName(dir)["run-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>Writes <c>config.yaml</c> and <c>run.json</c> for a new run.</summary>
    public void WriteStart(StepAudioConfig config, TrainMode mode, string frontEnd, string llmBase, string flowBase)
    {
        ConfigWriter.Save(config, ConfigFile);
        var manifests = new JsonObject();
        foreach (var m in Manifests(config)) manifests[m] = FileHash(m);
        var json = new JsonObject
        {
            ["toolkit"] = ToolkitVersion,
            ["torchsharp"] = Version(typeof(TorchSharp.torch).Assembly),
            ["git_commit"] = GitCommit(config.SourcePath),
            ["created"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["mode"] = mode.ToString().ToLowerInvariant(),
            ["seed"] = config.Seed,
            ["threads"] = TorchSharp.torch.get_num_threads(),
            ["machine"] = CpuReport.OneLine(),
            ["config_file"] = config.SourcePath,
            ["manifests"] = manifests,
            ["audio_front_end"] = frontEnd,
            ["llm_base"] = llmBase,
            ["flow_base"] = flowBase,
        };
        AtomicFile.WriteAllText(RunJson, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// What differs between <paramref name="config"/> (and its manifests' contents) and what this run was started
    /// with; empty when nothing does.
    /// </summary>
    public List<string> Changes(StepAudioConfig config)
    {
        var changes = new List<string>();
        var before = File.Exists(ConfigFile) ? File.ReadAllLines(ConfigFile) : Array.Empty<string>();
        var now = ConfigWriter.ToYaml(config).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        foreach (var line in now.Except(before)) changes.Add("config now has: " + line.Trim());
        foreach (var line in before.Where(l => l.Length > 0).Except(now)) changes.Add("config had: " + line.Trim());
        var run = InputException.ReadingJson(RunJson, () => JsonNode.Parse(File.ReadAllText(RunJson))!.AsObject());
        var stored = run["manifests"]?.AsObject() ?? new JsonObject();
        foreach (var m in Manifests(config))
        {
            var hash = File.Exists(m) ? FileHash(m) : "(missing)";
            if (stored[m]?.GetValue<string>() != hash) changes.Add($"manifest {m} changed (sha256 {hash[..Math.Min(12, hash.Length)]}…)");
        }
        return changes;
    }

    static IEnumerable<string> Manifests(StepAudioConfig config) =>
        new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>().Select(System.IO.Path.GetFullPath);

    /// <summary>sha256 of a file, hex.</summary>
    public static string FileHash(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>This toolkit's version, as run.json and exports record it.</summary>
    public static string ToolkitVersion => Version(typeof(RunFolder).Assembly);

    static string Version(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "?";

    /// <summary>The commit of the git checkout holding the config, when there is one and git is installed.</summary>
    static string? GitCommit(string? configPath)
    {
        try
        {
            var dir = configPath is null ? Environment.CurrentDirectory : System.IO.Path.GetDirectoryName(configPath)!;
            var psi = new ProcessStartInfo("git", ["-C", dir, "rev-parse", "HEAD"])
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            if (p is null) return null;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            return p.ExitCode == 0 && text.Length == 40 ? text : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
