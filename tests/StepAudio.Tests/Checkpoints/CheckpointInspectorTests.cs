using System.Collections;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Checkpoints;

/// <summary>
/// <see cref="CheckpointInspector"/> on files the toolkit's own writers produce (and the fixture flow.pt that Python's
/// torch.save wrote), then on damaged and hostile variants: every failure is one InputException line naming the file,
/// and a pickle that names anything outside the tensor/dict allow-list is refused before it is evaluated.
/// </summary>
public class CheckpointInspectorTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("stepaudio-inspect");

    public void Dispose() => Directory.Delete(dir, true);

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Inspect fails with an InputException naming <paramref name="file"/> on one line, quickly.</summary>
    static InputException Refused(string file)
    {
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(() => CheckpointInspector.Inspect(file));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed} to refuse");
        Assert.Contains(file, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    /// <summary>A tiny Step1 with LoRA (r 4, default target modules) written by Step1Export.SavePt, and its LoRA shapes.</summary>
    (string Pt, Dictionary<string, long[]> Shapes) StepOnePt()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var config = new LoraConfig { R = 4, Alpha = 16 };
        Step1Lora.Inject(model, config);
        var pt = Path.Combine(dir, "llm", "llm_best.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(pt)!);
        Step1Export.SavePt(model, pt, config, epoch: 3);
        var shapes = PeftAdapter.LoraTensors(model).ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        return (pt, shapes);
    }

    [Fact]
    public void StepOnePtListsEveryLoraTensorWithItsShapeAndTheEpoch()
    {
        var (pt, shapes) = StepOnePt();
        var info = CheckpointInspector.Inspect(pt);

        Assert.Equal("pytorch-zip", info.Format);
        Assert.Equal(shapes.Count, info.Entries.Count);
        foreach (var (name, shape) in shapes)
        {
            var entry = Assert.Single(info.Entries, e => e.Key == "model_state_dict." + PeftAdapter.LiveKey(name));
            Assert.Equal("F32", entry.DType);
            Assert.Equal(shape, entry.Shape);
            Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), entry.Numel);
            Assert.Equal(entry.Numel * 4, entry.Bytes);
        }
        Assert.Contains(info.Entries, e => e.Key == "model_state_dict.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"
                                           && e.Shape.SequenceEqual(new long[] { 4, TinyStep1.Config.HiddenSize }));
        Assert.Equal("3", info.Metadata["epoch"]);
        Assert.Equal(shapes.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), info.TotalParameters);
        Assert.Equal(info.TotalParameters * 4, info.TotalBytes);
        Assert.All(info.PickleGlobals, g => Assert.Contains(g, CheckpointInspector.AllowedGlobals));
        Assert.Contains("torch.FloatStorage", info.PickleGlobals);

        var text = info.ToText();
        Assert.Contains("pytorch-zip", text);
        Assert.Matches(@"model_state_dict\.base_model\.model\.model\.layers\.1\.self_attn\.k_proj\.lora_B\.default\.weight +F32 +\[\d+, 4\]", text);
        Assert.Contains("epoch: 3", text);
    }

    [Fact]
    public void FolderWithTheAdapterIsAPeftFolder()
    {
        var (pt, shapes) = StepOnePt();
        var info = CheckpointInspector.Inspect(Path.GetDirectoryName(pt)!);
        Assert.Equal("peft-folder", info.Format);
        Assert.Equal(shapes.Count, info.Entries.Count);
        Assert.Contains(info.Entries, e => e.Key == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        Assert.Equal("4", info.Metadata["adapter_config.r"]);
        Assert.Equal("LORA", info.Metadata["adapter_config.peft_type"]);
        Assert.Equal("pt", info.Metadata["format"]);
    }

    [Fact]
    public void FlowCheckpointNestedUnderModelStateDict()
    {
        using var scope = NewDisposeScope();
        using var model = new CausalMaskedDiffWithXvec(FlowConfig.Tiny);
        var stateDict = model.state_dict();
        var pt = Path.Combine(dir, "flow_best.pt");
        var inner = new Hashtable();
        foreach (var (k, v) in stateDict) inner[k] = v;
        using (var s = File.Create(pt)) PyTorchPickler.PickleStateDict(s, new Hashtable { ["model_state_dict"] = inner });

        var info = CheckpointInspector.Inspect(pt);
        Assert.Equal(stateDict.Count, info.Entries.Count);
        foreach (var (k, v) in stateDict)
        {
            var entry = Assert.Single(info.Entries, e => e.Key == "model_state_dict." + k);
            Assert.Equal(v.shape, entry.Shape);
            Assert.Equal(SafetensorsFile.ToName(v.dtype), entry.DType);
        }
        Assert.Empty(info.Metadata);
    }

    [Fact]
    public void TorchSavedFixtureMatchesItsSafetensorsTwin()
    {
        // flow.pt was written by Python's torch.save (flow/ prefix, BINPUT memo, _metadata BUILD); weights.safetensors holds the same tensors.
        var pt = CheckpointInspector.Inspect(Path.Combine(TestPaths.ParityDir, "flow", "flow.pt"));
        var st = CheckpointInspector.Inspect(Path.Combine(TestPaths.ParityDir, "flow", "weights.safetensors"));
        Assert.Equal("pytorch-zip", pt.Format);
        Assert.Equal("safetensors", st.Format);
        Assert.Equal(st.Entries.Count, pt.Entries.Count);
        var byKey = st.Entries.ToDictionary(e => e.Key);
        foreach (var e in pt.Entries)
        {
            Assert.Equal(byKey[e.Key].DType, e.DType);
            Assert.Equal(byKey[e.Key].Shape, e.Shape);
            Assert.Equal(byKey[e.Key].Bytes, e.Bytes);
        }
        Assert.Equal(new[] { "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage" }, pt.PickleGlobals);
    }

    [Fact]
    public void SafetensorsDtypesShapesAndMetadata()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(dir, "mixed.safetensors");
        SafetensorsFile.Save(path, new[]
        {
            KeyValuePair.Create("a.bf16", zeros(3, 5, dtype: ScalarType.BFloat16)),
            KeyValuePair.Create("b.i64", arange(7)),
            KeyValuePair.Create("c.empty", zeros(2, 0)),
        }, new Dictionary<string, string> { ["step"] = "10" });
        var info = CheckpointInspector.Inspect(path);
        Assert.Equal("safetensors", info.Format);
        Assert.Equal(new[] { "a.bf16", "b.i64", "c.empty" }, info.Entries.Select(e => e.Key));
        Assert.Equal(new[] { "BF16", "I64", "F32" }, info.Entries.Select(e => e.DType));
        Assert.Equal(new long[] { 3, 5 }, info.Entries[0].Shape);
        Assert.Equal(new long[] { 15, 7, 0 }, info.Entries.Select(e => e.Numel));
        Assert.Equal(new long[] { 30, 56, 0 }, info.Entries.Select(e => e.Bytes));
        Assert.Equal("pt", info.Metadata["format"]);
        Assert.Equal("10", info.Metadata["step"]);
        Assert.Empty(info.PickleGlobals);
        Assert.Contains("step: 10", info.ToText());
    }

    [Fact]
    public void ShardedHuggingFaceFolder()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        var folder = Path.Combine(dir, "hf");
        TinyStep1.WriteHfFolder(model, folder, ScalarType.BFloat16, shards: 2);
        var info = CheckpointInspector.Inspect(folder);
        Assert.Equal("hf-folder", info.Format);
        Assert.Equal("2", info.Metadata["shards"]);
        var stateDict = model.state_dict();
        Assert.Equal(stateDict.Count, info.Entries.Count);
        Assert.All(info.Entries, e => Assert.Equal("BF16", e.DType));
        Assert.Equal(stateDict["model.layers.1.mlp.down_proj.weight"].shape, info.Entries.Single(e => e.Key == "model.layers.1.mlp.down_proj.weight").Shape);
    }

    // ---- damaged files ------------------------------------------------------------------------------------------

    [Fact]
    public void TruncatedEmptyAndRandomFiles()
    {
        var good = File.ReadAllBytes(StepOnePt().Pt);
        foreach (int cut in new[] { 1, 4, 30, good.Length / 4, good.Length / 2, good.Length - 100, good.Length - 1 })
            Refused(Write($"cut{cut}.pt", good[..cut]));

        using (var scope = NewDisposeScope())
            SafetensorsFile.Save(Path.Combine(dir, "good.safetensors"), new[] { KeyValuePair.Create("w", ones(8, 8)) });
        var st = File.ReadAllBytes(Path.Combine(dir, "good.safetensors"));
        foreach (int cut in new[] { 1, 7, 8, 20, st.Length / 2, st.Length - 1 })
            Refused(Write($"cut{cut}.safetensors", st[..cut]));

        Assert.Contains("empty (0 bytes)", Refused(Write("empty.pt", Array.Empty<byte>())).Message);
        Assert.Contains("empty (0 bytes)", Refused(Write("empty.safetensors", Array.Empty<byte>())).Message);
        var random = new byte[4096];
        new Random(5).NextBytes(random);
        random[0] = 0x13; // not a pickle PROTO byte, not a zip
        Assert.Contains("not a checkpoint", Refused(Write("random.pt", random)).Message);
        Refused(Write("random.safetensors", random));
        Refused(Write("random.bin", Encoding.ASCII.GetBytes("<html>404 Not Found</html>")));
        Assert.Contains("legacy", Refused(Write("legacy.pt", new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e })).Message);
    }

    [Fact]
    public void MissingFilesAndFolders()
    {
        Assert.Contains("not found", Refused(Path.Combine(dir, "nope.pt")).Message);
        var empty = Path.Combine(dir, "emptyfolder");
        Directory.CreateDirectory(empty);
        Assert.Contains("holds no checkpoint", Refused(empty).Message);
        var peft = Path.Combine(dir, "peft");
        Directory.CreateDirectory(peft);
        File.WriteAllText(Path.Combine(peft, PeftAdapter.ConfigName), "{\"r\": 8");
        Assert.Contains("not valid JSON", Refused(peft).Message);
    }

    [Fact]
    public void ZipWithoutPickleOrWithBadStorages()
    {
        Assert.Contains("no <name>/data.pkl", Refused(Write("nopkl.pt", Zip(("archive/version", "3\n"u8.ToArray())))).Message);

        // A hand-built one-tensor pickle: FloatStorage '0' of 6 elements viewed as [2, 3].
        var pickle = TensorPickle("w", 6, new long[] { 2, 3 }, new long[] { 3, 1 });
        var info = CheckpointInspector.Inspect(Write("ok.pt", Zip(("archive/data.pkl", pickle), ("archive/data/0", new byte[24]))));
        var entry = Assert.Single(info.Entries);
        Assert.Equal(("w", "F32", 6L, 24L), (entry.Key, entry.DType, entry.Numel, entry.Bytes));
        Assert.Equal(new long[] { 2, 3 }, entry.Shape);

        Assert.Contains("data/0 is missing", Refused(Write("nostorage.pt", Zip(("archive/data.pkl", pickle)))).Message);
        Assert.Contains("holds 12 bytes", Refused(Write("short.pt", Zip(("archive/data.pkl", pickle), ("archive/data/0", new byte[12])))).Message);
        var beyond = TensorPickle("w", 6, new long[] { 4, 4 }, new long[] { 4, 1 });
        Assert.Contains("reaches element 15", Refused(Write("beyond.pt", Zip(("archive/data.pkl", beyond), ("archive/data/0", new byte[24])))).Message);
        var huge = TensorPickle("w", 6, new long[] { long.MaxValue / 2, 4 }, new long[] { 4, 1 });
        Refused(Write("huge.pt", Zip(("archive/data.pkl", huge), ("archive/data/0", new byte[24]))));
        Assert.Contains("STOP", Refused(Write("cutpkl.pt", Zip(("archive/data.pkl", pickle[..^3]), ("archive/data/0", new byte[24])))).Message);
        Refused(Write("twopkl.pt", Zip(("a/data.pkl", pickle), ("b/data.pkl", pickle))));
    }

    [Fact]
    public void SafetensorsWithBadOffsets()
    {
        int n = 0;
        foreach (var offsets in new[] { "[0, 64]", "[8, 24]", "[-16, 0]", "[0, 9999999]" })
        {
            n++;
            var header = Encoding.UTF8.GetBytes($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":{offsets}}}}}");
            var bytes = BitConverter.GetBytes((long)header.Length).Concat(header).Concat(new byte[16]).ToArray();
            Assert.Contains("data_offsets", Refused(Write($"offsets{n}.safetensors", bytes)).Message);
        }
    }

    [Fact]
    public void DeepOrSelfReferencingPicklesAreRefused()
    {
        // 200 nested lists, and a list that contains itself.
        var deep = new PickleBytes().Proto(2);
        for (int i = 0; i < 200; i++) deep.Op(']');
        for (int i = 0; i < 199; i++) deep.Op('a');
        Assert.Contains("deeper", Refused(Write("deep.pt", Zip(("archive/data.pkl", deep.Op('.').ToArray())))).Message);

        var cycle = new PickleBytes().Proto(2).Op('}').Str("x").Op(']').Op('q').Byte(0).Op('h').Byte(0).Op('a').Op('s').Op('.');
        Refused(Write("cycle.pt", Zip(("archive/data.pkl", cycle.ToArray()))));
    }

    // ---- hostile pickles ----------------------------------------------------------------------------------------

    public static TheoryData<string, string> Callables => new()
    {
        { "os", "system" }, { "posix", "system" }, { "builtins", "eval" }, { "subprocess", "Popen" }, { "torch", "load" },
    };

    [Theory]
    [MemberData(nameof(Callables))]
    public void GlobalReducePayloadIsRefusedBeforeItRuns(string module, string name)
    {
        var marker = Path.Combine(dir, "pwned");
        // protocol 2: GLOBAL module.name, the argument tuple, REDUCE — what torch.load(weights_only=False) executes.
        var pickle = new PickleBytes().Proto(2).Global(module, name).Str($"touch {marker}").Op('\u0085').Op('R').Op('.').ToArray();
        var e = Refused(Write($"evil-{module}.pt", Zip(("archive/data.pkl", pickle), ("archive/version", "3\n"u8.ToArray()))));
        Assert.Contains($"{module}.{name}", e.Message);
        Assert.Contains("asks to run code", e.Message);
        Assert.Contains("only tensor checkpoints are read", e.Message);
        Assert.False(File.Exists(marker), "the pickle's payload ran");
    }

    [Fact]
    public void StackGlobalPayloadIsRefused()
    {
        // protocol 4: SHORT_BINUNICODE 'os', MEMOIZE, SHORT_BINUNICODE 'system', MEMOIZE, STACK_GLOBAL, then REDUCE.
        var pickle = new PickleBytes().Proto(4).ShortStr("os").Op('\u0094').ShortStr("system").Op('\u0094').Op('\u0093')
            .ShortStr("echo pwned").Op('\u0085').Op('R').Op('.').ToArray();
        Assert.Contains("os.system", Refused(Write("stack.pt", Zip(("archive/data.pkl", pickle)))).Message);

        // The same names fetched back from the memo (how pickle writes a module name it has written before).
        var memo = new PickleBytes().Proto(4).ShortStr("os").Op('\u0094').ShortStr("system").Op('\u0094').Op('0').Op('0')
            .Op('h').Byte(0).Op('h').Byte(1).Op('\u0093').ShortStr("id").Op('\u0085').Op('R').Op('.').ToArray();
        Assert.Contains("os.system", Refused(Write("stackmemo.pt", Zip(("archive/data.pkl", memo)))).Message);

        // Names that are not two literal strings on top of the stack are refused too.
        var computed = new PickleBytes().Proto(4).ShortStr("os").Op('(').ShortStr("system").Op('\u0093').Op('.').ToArray();
        Assert.Contains("computed", Refused(Write("computed.pt", Zip(("archive/data.pkl", computed)))).Message);
    }

    [Fact]
    public void PayloadHiddenAfterGoodTensorsIsRefused()
    {
        // A valid state dict whose second value is os.system(...): the scan reads the whole stream before anything is built.
        var good = TensorPickle("w", 6, new long[] { 6 }, new long[] { 1 });
        var evil = new PickleBytes().Raw(good[..^2]) // drop SETITEMS and STOP
            .Str("x").Global("os", "system").Str("id").Op('\u0085').Op('R').Op('u').Op('.').ToArray();
        Assert.Contains("os.system", Refused(Write("hidden.pt", Zip(("archive/data.pkl", evil), ("archive/data/0", new byte[24])))).Message);
    }

    [Fact]
    public void InstObjAndNewobjAreRefused()
    {
        var inst = new PickleBytes().Proto(2).Op('(').Str("id").Op('i').Line("os").Line("system").Op('.').ToArray();
        Assert.Contains("os.system", Refused(Write("inst.pt", Zip(("archive/data.pkl", inst)))).Message);
        var newobj = new PickleBytes().Proto(2).Global("collections", "OrderedDict").Op(')').Op('\u0081').Op('.').ToArray();
        Assert.Contains("NEWOBJ", Refused(Write("newobj.pt", Zip(("archive/data.pkl", newobj)))).Message);
        var obj = new PickleBytes().Proto(2).Op('(').Global("collections", "OrderedDict").Op('o').Op('.').ToArray();
        Assert.Contains("OBJ", Refused(Write("obj.pt", Zip(("archive/data.pkl", obj)))).Message);
        // A storage type is allowed as a name, never as something to call.
        var call = new PickleBytes().Proto(2).Global("torch", "FloatStorage").Op(')').Op('R').Op('.').ToArray();
        Assert.Contains("calls torch.FloatStorage", Refused(Write("callstorage.pt", Zip(("archive/data.pkl", call)))).Message);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    /// <summary>A protocol-2 pickle as torch.save writes it: <c>{key: _rebuild_tensor_v2(FloatStorage '0' of numel, 0, shape, stride, False, OrderedDict())}</c>.</summary>
    static byte[] TensorPickle(string key, long numel, long[] shape, long[] stride)
    {
        var p = new PickleBytes().Proto(2).Op('}').Op('(').Str(key)
            .Global("torch._utils", "_rebuild_tensor_v2").Op('(')
            .Op('(').Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(numel).Op('t').Op('Q')
            .Int(0).Op('(');
        foreach (var d in shape) p.Int(d);
        p.Op('t').Op('(');
        foreach (var s in stride) p.Int(s);
        return p.Op('t').Op('\u0089').Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R').Op('u').Op('.').ToArray();
    }

    /// <summary>A zip of stored entries, the layout torch.save writes.</summary>
    static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
                using (var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open())
                    s.Write(bytes);
        return ms.ToArray();
    }

    /// <summary>Hand-assembles pickle opcode streams.</summary>
    sealed class PickleBytes
    {
        readonly List<byte> bytes = new();
        public PickleBytes Op(char c) { bytes.Add((byte)c); return this; }
        public PickleBytes Byte(byte b) { bytes.Add(b); return this; }
        public PickleBytes Raw(byte[] b) { bytes.AddRange(b); return this; }
        public PickleBytes Proto(byte version) => Op('\u0080').Byte(version);
        public PickleBytes Line(string s) => Raw(Encoding.UTF8.GetBytes(s + "\n"));
        public PickleBytes Global(string module, string name) => Op('c').Line(module).Line(name);

        /// <summary>BINUNICODE.</summary>
        public PickleBytes Str(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            return Op('X').Raw(BitConverter.GetBytes(b.Length)).Raw(b);
        }

        /// <summary>SHORT_BINUNICODE (protocol 4).</summary>
        public PickleBytes ShortStr(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            return Op('\u008c').Byte((byte)b.Length).Raw(b);
        }

        /// <summary>BININT for 32-bit values, else LONG1.</summary>
        public PickleBytes Int(long v)
        {
            if (v is >= int.MinValue and <= int.MaxValue) return Op('J').Raw(BitConverter.GetBytes((int)v));
            return Op('\u008a').Byte(8).Raw(BitConverter.GetBytes(v));
        }

        public byte[] ToArray() => bytes.ToArray();
    }
}
