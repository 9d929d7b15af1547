using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>
/// One <c>nn.Embedding(vocab_size, input_size / 2)</c> shared by both codebooks; a dual frame's two ids are embedded
/// and concatenated (stepvocoder/cosyvoice2/embedding/dual_codebook.py).
/// </summary>
public sealed class DualCodebookEmbedding : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep the state-dict keys equal to upstream's.
    readonly Embedding embedding;
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
