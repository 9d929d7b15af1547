using StepAudio.Llm;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// tokenizer.py <c>wav2token</c>'s mixed ids: the 2:3 vq02/vq06 interleave of <see cref="Step1AudioTokens.Interleave"/>,
/// vq02 codes offset by 65536 and vq06 codes by 66560 (= 65536 + the 1024 vq02 codes). The same N values (mixed − 65536)
/// are the <c>&lt;audio_N&gt;</c> pieces of <c>merge_vq0206_to_token_str</c> and the flow's prompt tokens.
/// </summary>
public static class Vq0206Tokens
{
    /// <summary>Upstream's vq02 offset in the mixed ids.</summary>
    public const int Vq02Offset = 65536;
    /// <summary>Upstream's vq06 offset in the mixed ids.</summary>
    public const int Vq06Offset = 66560;

    /// <summary>The token N values (mixed − vq02 offset): whole groups only, leftovers dropped as upstream does.</summary>
    public static int[] TokenNumbers(IReadOnlyList<long> vq02, IReadOnlyList<long> vq06,
        int vq02PerGroup = 2, int vq06PerGroup = 3, int vq02Offset = Vq02Offset, int vq06Offset = Vq06Offset)
    {
        if (vq06Offset <= vq02Offset) throw new ArgumentException($"vq06 offset {vq06Offset} must exceed vq02 offset {vq02Offset}");
        var config = Step1Config.StepAudioEditX with
        {
            InterleaveVq02 = vq02PerGroup, InterleaveVq06 = vq06PerGroup, Vq02Codebook = vq06Offset - vq02Offset,
        };
        return Step1AudioTokens.Interleave(vq02, vq06, config);
    }

    /// <summary>wav2token's mixed ids (N + vq02 offset).</summary>
    public static long[] MixedIds(IReadOnlyList<int> tokenNumbers, int vq02Offset = Vq02Offset) =>
        tokenNumbers.Select(n => (long)n + vq02Offset).ToArray();
}
