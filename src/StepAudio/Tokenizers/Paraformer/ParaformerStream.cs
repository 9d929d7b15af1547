using static TorchSharp.torch;

namespace StepAudio.Tokenizers.Paraformer;

/// <summary>The streaming arguments upstream's tokenizer passes to <c>infer_encoder</c>.</summary>
/// <param name="ChunkSize"><c>chunk_size</c> [left, chunk, right]: chunk in LFR frames, left + right frames of overlap.</param>
/// <param name="EncoderChunkLookBack">Chunks of k/v each layer keeps (−1 all, 0 none).</param>
/// <param name="DecoderChunkLookBack">Only the decoder reads it; kept so a config round-trips.</param>
/// <param name="IsFinal">Whether the call ends the utterance (flushes the last partial chunk).</param>
public sealed record Vq02StreamingOptions(int[] ChunkSize, int EncoderChunkLookBack, int DecoderChunkLookBack, bool IsFinal)
{
    /// <summary>tokenizer.py's values: chunk_size [0, 4, 5], encoder look-back 4, decoder look-back 1, is_final true.</summary>
    public static Vq02StreamingOptions Upstream { get; } = new([0, 4, 5], 4, 1, true);

    /// <summary>
    /// Samples per chunk, <c>chunk_size[1] · 960</c> as infer_encoder hard-codes it (960 = 6 LFR-stacked 10 ms frames
    /// at 16 kHz): 3840 for upstream's 4-frame chunks.
    /// </summary>
    public int ChunkStrideSamples => ChunkSize[1] * 960;
}

/// <summary>One chunk as it went through the encoder, for inspection; the tensors live only during the callback.</summary>
/// <param name="Index">Chunk number within the call.</param>
/// <param name="Feats">Front-end frames of the chunk <c>[1, T, n_mels · lfr_m]</c>.</param>
/// <param name="EncoderOut">Encoder output over overlap + chunk <c>[1, overlap + T, d]</c>.</param>
public sealed record ParaformerChunk(int Index, Tensor Feats, Tensor EncoderOut);

/// <summary>
/// ParaformerStreaming's <c>infer_encoder</c> (funasr_detach/models/paraformer_streaming/model.py) for batch 1: the
/// waveform is cut into <see cref="Vq02StreamingOptions.ChunkStrideSamples"/> pieces (the last the remainder, dropped
/// when empty), each goes through <see cref="WavFrontendOnline"/> and, when it yields frames, through
/// <see cref="SanmEncoderChunkOpt.ForwardChunk"/>; the last T outputs of each chunk (T = its frame count) are joined.
/// Without <c>is_final</c> the remainder waits for the next call; with it the state starts afresh afterwards.
/// </summary>
public sealed class ParaformerStream : IDisposable
{
    readonly SanmEncoderChunkOpt encoder;
    readonly WavFrontendOnlineOptions frontEndOptions;
    readonly Tensor? cmvn;
    readonly Vq02StreamingOptions options;
    WavFrontendOnline frontEnd;
    SanmStreamState state;
    float[] previous = [];

    /// <summary>A fresh stream; <paramref name="encoder"/> and <paramref name="cmvn"/> are borrowed.</summary>
    public ParaformerStream(SanmEncoderChunkOpt encoder, WavFrontendOnlineOptions frontEndOptions, Tensor? cmvn, Vq02StreamingOptions options)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(frontEndOptions);
        ArgumentNullException.ThrowIfNull(options);
        if (frontEndOptions.OutputSize != encoder.Config.InputSize)
            throw new ArgumentException($"front end gives {frontEndOptions.OutputSize}-wide frames but the encoder takes {encoder.Config.InputSize}");
        if (options.ChunkSize.Length != 3 || options.ChunkSize[1] < 1)
            throw new ArgumentException($"chunk_size must be [left, chunk ≥ 1, right], got [{string.Join(",", options.ChunkSize)}]");
        this.encoder = encoder;
        this.frontEndOptions = frontEndOptions;
        this.cmvn = cmvn;
        this.options = options;
        (frontEnd, state) = Fresh();
    }

    (WavFrontendOnline, SanmStreamState) Fresh() =>
        (new WavFrontendOnline(frontEndOptions, cmvn), new SanmStreamState(encoder.Config.InputSize, options.ChunkSize, options.EncoderChunkLookBack));

    /// <summary>
    /// Feeds 16 kHz samples; returns the encoder outputs they complete, <c>[1, T, d]</c> (T may be 0).
    /// <paramref name="onChunk"/> sees each chunk's features and encoder output.
    /// </summary>
    public Tensor Feed(ReadOnlySpan<float> samples, bool isFinal, Action<ParaformerChunk>? onChunk = null)
    {
        var audio = new float[previous.Length + samples.Length];
        previous.CopyTo(audio, 0);
        samples.CopyTo(audio.AsSpan(previous.Length));
        int stride = options.ChunkStrideSamples;
        int n = audio.Length / stride + (isFinal ? 1 : 0);
        int tail = isFinal ? 0 : audio.Length % stride;
        var outputs = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            for (int i = 0; i < n; i++)
            {
                bool last = isFinal && i == n - 1;
                int start = i * stride, length = Math.Min(stride, audio.Length - start);
                if (last && length == 0) break;
                using var chunkScope = NewDisposeScope();
                var feats = frontEnd.Accept(audio.AsSpan(start, length), last);
                if (feats is null)
                {
                    if (last) break;
                    // Upstream passes the empty features on to the encoder, which fails.
                    throw new InvalidOperationException(
                        $"chunk {i} ({length} samples) gave no front-end frames before the end of the utterance; " +
                        $"upstream's encoder fails on that too (chunk_size[1] = {options.ChunkSize[1]} is too small for lfr_m {frontEndOptions.LfrM})");
                }
                var x = feats.unsqueeze(0);
                var encoded = encoder.ForwardChunk(x, state);
                onChunk?.Invoke(new ParaformerChunk(i, x, encoded));
                long t = x.size(1);
                outputs.Add(encoded.narrow(1, encoded.size(1) - t, t).MoveToOuterDisposeScope());
            }
            previous = tail > 0 ? audio[^tail..] : [];
            var joined = outputs.Count > 0
                ? cat(outputs, 1)
                : zeros(1, 0, encoder.Config.OutputSize, ScalarType.Float32);
            if (isFinal) Reset();
            return joined.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Drops all state (upstream re-runs init_cache after a final call).</summary>
    public void Reset()
    {
        frontEnd.Dispose();
        state.Dispose();
        previous = [];
        (frontEnd, state) = Fresh();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        frontEnd.Dispose();
        state.Dispose();
    }
}
