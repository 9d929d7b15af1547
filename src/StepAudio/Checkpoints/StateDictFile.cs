using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Reads a whole state dict from safetensors or from a PyTorch zip checkpoint (<c>torch.save(state_dict)</c>, the
/// format of the real <c>hift.pt</c> and <c>flow.pt</c>), as CPU tensors under their stored keys; writes one.
/// </summary>
public static class StateDictFile
{
    /// <summary>
    /// Loads <paramref name="path"/>: <c>.safetensors</c> by extension, anything else as a PyTorch zip archive.
    /// Legacy (pre-1.6, non-zip) torch files and non-tensor entries fail with an <see cref="InputException"/>.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "checkpoint file not found", "check the path (model.flow.model_path)");
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return SafetensorsFile.LoadAll(path);
        if (!IsZip(path))
            throw new InputException(path, null, null,
                "is not a PyTorch zip checkpoint (legacy torch.save format or another file type)",
                "re-save it in Python with torch.save(torch.load(p), p) (torch >= 1.6 writes the zip format), or convert to safetensors");
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (OutOfMemoryException e)
        {
            // One allocation of the size the file claims failed (e.g. a pickle string of "2 GB" in a small file).
            throw new InputException(path, null, null, "claims sizes larger than this machine's memory: the file is corrupt",
                "re-download or re-save the checkpoint", e);
        }
        catch (Exception e)
        {
            throw new InputException(path, null, null, $"cannot be read as a PyTorch state dict ({e.Message})",
                "save a plain state dict: torch.save(model.state_dict(), p)", e);
        }
        // A training checkpoint ({"model_state_dict": ..., "epoch": ...}, the fork's and ours) holds the weights one level down.
        IDictionary weights = table.ContainsKey("model_state_dict") && table["model_state_dict"] is IDictionary inner ? inner : table;
        var result = new Dictionary<string, Tensor>(weights.Count);
        foreach (DictionaryEntry entry in weights)
        {
            var key = entry.Key.ToString()!;
            if (entry.Value is not Tensor t)
            {
                foreach (var v in result.Values) v.Dispose();
                throw new InputException(path, null, key,
                    $"holds a {entry.Value?.GetType().Name ?? "null"}, not a tensor",
                    "save a plain state dict (torch.save(model.state_dict(), p)), not a training checkpoint");
            }
            result[key] = t;
        }
        return result;
    }

    /// <summary>
    /// Writes <paramref name="state"/> as a plain <c>torch.save(state_dict)</c> zip archive: no <c>model_state_dict</c>
    /// wrapper, each tensor with a storage of its own (the released
    /// <c>flow.pt</c>/<c>hift.pt</c> layout; Python's <c>torch.load</c> reads it), through a temporary file and a rename.
    /// Tensors are copied to the CPU, so the caller keeps ownership of its own.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> state)
    {
        using var scope = NewDisposeScope();
        var table = new Hashtable();
        foreach (var (name, t) in state) table[name] = t.detach().cpu().clone();
        AtomicFile.Write(path, tmp =>
        {
            using var stream = File.Create(tmp);
            PyTorchPickler.PickleStateDict(stream, table);
        });
    }

    static bool IsZip(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return f.Read(magic) == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    }
}
