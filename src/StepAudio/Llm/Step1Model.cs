using StepAudio.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StepAudio.Llm;

/// <summary>
/// The Step1 decoder stack (modeling_step1.py <c>Step1Model</c>): token embedding, pre-norm blocks, final RMSNorm.
/// No position embeddings (order comes from the ALiBi bias). <c>attention_mask</c> does not exist upstream either:
/// batches must be right-padded.
/// </summary>
public sealed class Step1Model : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch field names keep state-dict keys equal to upstream's.
    /// <summary>Token embedding [vocab, hidden].</summary>
    public Embedding embed_tokens;
    /// <summary>The decoder blocks.</summary>
    public ModuleList<Step1DecoderLayer> layers;
    /// <summary>Final norm.</summary>
    public Step1RmsNorm norm;
#pragma warning restore IDE1006

    /// <summary>The configuration this was built from.</summary>
    public Step1Config Config { get; }

    /// <summary>Creates the stack (random weights; load real ones with <c>Step1Checkpoint</c>).</summary>
    public Step1Model(Step1Config config, Device? device = null, ScalarType? dtype = null) : base("Step1Model")
    {
        Config = config.Validate();
        embed_tokens = Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<Step1DecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++) layers.Add(new Step1DecoderLayer(config, device, dtype));
        norm = new Step1RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor inputIds) => forward(inputIds, null, null);

    /// <summary>
    /// Runs <paramref name="inputIds"/> [B, S] (int64) to the final-normed hidden states [B, S, hidden].
    /// <paramref name="hiddenStates"/>, when given, receives Hugging Face's <c>output_hidden_states</c>: the embeddings,
    /// the output of every block but the last, and the final-normed output (detached copies the caller disposes).
    /// </summary>
    public Tensor forward(Tensor inputIds, Step1KvCache? cache, List<Tensor>? hiddenStates = null)
    {
        CheckTokenIds(inputIds, Config.VocabSize);
        using var products = CpuConvolutionGuard.OneDnnProductsFor(embed_tokens.weight!);   // bf16 GEMMs: 10× with oneDNN
        using var scope = NewDisposeScope();
        var h = embed_tokens.call(inputIds);
        long s = inputIds.shape[1], keys = (cache?.Length ?? 0) + s;
        var bias = Step1Alibi.Bias(Config.NumAttentionHeads, s, keys, h.device).to_type(h.dtype);
        for (int i = 0; i < layers.Count; i++)
        {
            if (hiddenStates is not null) hiddenStates.Add(h.detach().clone().DetachFromDisposeScope());
            h = layers[i].forward(h, bias, cache, i);
        }
        var output = norm.forward(h);
        if (hiddenStates is not null) hiddenStates.Add(output.detach().clone().DetachFromDisposeScope());
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Throws a clear error unless <paramref name="ids"/> is a 2-D int64 tensor of ids in [0, vocab).</summary>
    public static void CheckTokenIds(Tensor ids, long vocabSize)
    {
        if (ids.dim() != 2)
            throw new ArgumentException($"input_ids must be [batch, sequence], got [{string.Join(", ", ids.shape)}]");
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"input_ids must be int64, got {ids.dtype}");
        if (ids.numel() == 0) throw new ArgumentException("input_ids is empty");
        long min = ids.min().item<long>(), max = ids.max().item<long>();
        if (min < 0 || max >= vocabSize)
            throw new ArgumentOutOfRangeException(nameof(ids),
                $"token id {(min < 0 ? min : max)} is outside the vocabulary [0, {vocabSize}); " +
                "check the tokenizer and the audio-token offset match this model's config.json");
    }
}
