using System.Text.Json;
using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Tests.Parity;

/// <summary>
/// One fixture folder (see tests/fixtures/parity/README.md): <c>fixture.json</c>'s component, config and tolerances,
/// and lazily opened <c>io.safetensors</c> / <c>weights.safetensors</c>.
/// </summary>
public sealed class ParityFixture : IDisposable
{
    Dictionary<string, Tensor>? io, weights;

    public ParityFixture(string dir)
    {
        Dir = dir;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixture.json")));
        Json = doc.RootElement.Clone();
        Component = Json.GetProperty("component").GetString()
                    ?? throw new InvalidDataException($"{dir}/fixture.json: 'component' is null");
        Config = Json.TryGetProperty("config", out var c) ? c : default;
        var tolerances = new Dictionary<string, Tolerance>();
        if (Json.TryGetProperty("tolerance", out var tol))
            foreach (var p in tol.EnumerateObject()) tolerances[p.Name] = Tolerance.From(p.Value);
        Tolerances = tolerances;
    }

    public string Dir { get; }
    public string Name => Path.GetFileName(Dir);
    public string Component { get; }
    public JsonElement Json { get; }
    public JsonElement Config { get; }
    public IReadOnlyDictionary<string, Tolerance> Tolerances { get; }

    /// <summary>Path of a file in the fixture folder.</summary>
    public string File_(string name) => Path.Combine(Dir, name);

    public IReadOnlyDictionary<string, Tensor> Io => io ??= Load("io.safetensors");
    public IReadOnlyDictionary<string, Tensor> Weights => weights ??= Load("weights.safetensors");
    public string WeightsPath => File_("weights.safetensors");

    /// <summary>An io tensor, or a clear failure naming the fixture and key.</summary>
    public Tensor In(string key) => Io.TryGetValue(key, out var t)
        ? t
        : throw new KeyNotFoundException($"{Dir}/io.safetensors has no '{key}'");

    /// <summary>Io keys starting with <paramref name="prefix"/>, sorted.</summary>
    public IEnumerable<string> IoKeys(string prefix = "") =>
        Io.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    /// <summary>A config value by dotted path (<c>cfm.n_timesteps</c>).</summary>
    public JsonElement Cfg(string dottedPath)
    {
        var e = Config;
        foreach (var part in dottedPath.Split('.'))
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
                throw new KeyNotFoundException($"{Dir}/fixture.json: config has no '{dottedPath}'");
        return e;
    }

    Dictionary<string, Tensor> Load(string file)
    {
        var path = File_(file);
        return File.Exists(path) ? SafetensorsFile.LoadAll(path) : new Dictionary<string, Tensor>();
    }

    public void Dispose()
    {
        foreach (var t in (io?.Values ?? Enumerable.Empty<Tensor>()).Concat(weights?.Values ?? Enumerable.Empty<Tensor>()))
            t.Dispose();
    }
}
