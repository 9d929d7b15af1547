// Mirrors stepvocoder/cosyvoice2/embedding/dual_codebook.py (DualCodebookEmbedding) and the token layout it reads.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// The mixed LLM/tokenizer audio stream ↔ the flow's dual frames (stepvocoder/cosyvoice2/cli/cosyvoice.py
/// <c>_reshape</c>): every 5 mixed ids <c>[a0, a1, b0, b1, b2]</c> (2 vq02 then 3 vq06, already minus 65536) become 3
/// dual frames <c>[a0, b0+1], [a1, b1+1], [1024, b2+1]</c> (vq06 shifted by −1024 + 1025).
/// </summary>
public static class DualCodebookTokens
{
    /// <summary>The vq02 pad id in stream 0.</summary>
    public const int Vq02Pad = 1024;

    /// <summary>
    /// Mixed ids → [T, 2] dual frames (row-major <c>long[T, 2]</c>). A trailing partial group is completed with
    /// <c>[0, 0, 0, 1024, 1024, 1024][−pad_len:]</c> as upstream does.
    /// </summary>
    public static long[,] Reshape(IReadOnlyList<int> mixed) => Reshape(mixed, Vq02Pad, 1, DefaultTailPad);

    /// <summary>Upstream's tail pad <c>[0, 0, 0, 1024, 1024, 1024]</c>; its last pad_len entries complete a group.</summary>
    public static readonly IReadOnlyList<long> DefaultTailPad = new long[] { 0, 0, 0, Vq02Pad, Vq02Pad, Vq02Pad };

    /// <summary>
    /// <see cref="Reshape(IReadOnlyList{int})"/> with upstream's constants spelled out: the vq02 pad of every third
    /// frame, the vq06 shift (<c>code − 1024 + 1025</c> = +1) and the tail pad list.
    /// </summary>
    public static long[,] Reshape(IReadOnlyList<int> mixed, long vq02Pad, long vq06Shift, IReadOnlyList<long> tailPad)
    {
        ArgumentNullException.ThrowIfNull(mixed);
        ArgumentNullException.ThrowIfNull(tailPad);
        var seq = mixed.Select(x => (long)x).ToList();
        if (seq.Count % 5 > 0)
        {
            int padLen = 5 - seq.Count % 5;
            if (tailPad.Count < padLen) throw new ArgumentException($"tail pad has {tailPad.Count} entries; {padLen} needed");
            seq.AddRange(tailPad.Skip(tailPad.Count - padLen));
        }
        int groups = seq.Count / 5;
        var dual = new long[groups * 3, 2];
        for (int g = 0; g < groups; g++)
        {
            int s = g * 5;
            dual[g * 3, 0] = seq[s];
            dual[g * 3 + 1, 0] = seq[s + 1];
            dual[g * 3 + 2, 0] = vq02Pad;
            for (int j = 0; j < 3; j++) dual[g * 3 + j, 1] = seq[s + 2 + j] + vq06Shift;
        }
        return dual;
    }

    /// <summary><see cref="Reshape(IReadOnlyList{int})"/> as an int64 tensor [1, T, 2], ready for the flow.</summary>
    public static TorchSharp.torch.Tensor ReshapeTensor(IReadOnlyList<int> mixed)
    {
        var dual = Reshape(mixed);
        return TorchSharp.torch.tensor(dual).unsqueeze(0);
    }
}

/// <summary>
/// One <c>nn.Embedding(vocab_size, input_size / 2)</c> shared by both codebooks; a dual frame's two ids are embedded
/// and concatenated (stepvocoder/cosyvoice2/embedding/dual_codebook.py).
/// </summary>
public sealed class DualCodebookEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep the state-dict keys equal to upstream's.
    public readonly Embedding embedding;
#pragma warning restore IDE1006

    /// <summary>Creates the table (<c>vocab_size</c> × <c>input_size / 2</c>).</summary>
    public DualCodebookEmbedding(int vocabSize, int inputSize) : base(nameof(DualCodebookEmbedding))
    {
        if (inputSize % 2 != 0) throw new ArgumentException($"input_size {inputSize} must be even for two codebooks");
        embedding = nn.Embedding(vocabSize, inputSize / 2);
        RegisterComponents();
    }

    /// <summary>token [B, T, 2] (int64) → [B, T, input_size].</summary>
    public override Tensor forward(Tensor token)
    {
        using var scope = NewDisposeScope();
        var e1 = embedding.forward(token.select(-1, 0));
        var e2 = embedding.forward(token.select(-1, 1));
        return cat(new[] { e1, e2 }, -1).MoveToOuterDisposeScope();
    }
}
