using System.Text;

namespace StepAudio.Llm;

/// <summary>
/// The mixed audio-token stream of Step-Audio-EditX (tokenizer.py <c>wav2token</c>, <c>merge_vq0206_to_token_str</c>):
/// groups of 2 vq02 codes then 3 vq06 codes (vq06 shifted by the vq02 codebook size 1024), as many whole groups as
/// both streams allow; token N is the piece <c>&lt;audio_N&gt;</c>, id audio-offset + N.
/// </summary>
public static class Step1AudioTokens
{
    /// <summary>The interleaved N values of <paramref name="vq02"/> and <paramref name="vq06"/> codes.</summary>
    public static int[] Interleave(IReadOnlyList<long> vq02, IReadOnlyList<long> vq06, Step1Config? config = null)
    {
        config ??= Step1Config.StepAudioEditX;
        int a = config.InterleaveVq02, b = config.InterleaveVq06;
        int groups = Math.Min(vq02.Count / a, vq06.Count / b);
        var result = new int[groups * (a + b)];
        int o = 0;
        for (int g = 0; g < groups; g++)
        {
            for (int i = 0; i < a; i++) result[o++] = Code(vq02[g * a + i], config.Vq02Codebook, "vq02");
            for (int i = 0; i < b; i++) result[o++] = config.Vq02Codebook + Code(vq06[g * b + i], int.MaxValue, "vq06");
        }
        return result;
    }

    static int Code(long c, int limit, string stream) =>
        c >= 0 && c < limit ? (int)c : throw new ArgumentOutOfRangeException(stream, c, $"{stream} code {c} is out of range");

    /// <summary><c>&lt;audio_N&gt;…</c> for the prompt text.</summary>
    public static string ToText(IEnumerable<int> tokens)
    {
        var sb = new StringBuilder();
        foreach (var n in tokens) sb.Append("<audio_").Append(n).Append('>');
        return sb.ToString();
    }

    /// <summary>LLM token ids (offset + N).</summary>
    public static long[] ToIds(IEnumerable<int> tokens, int audioTokenOffset) =>
        tokens.Select(n => (long)audioTokenOffset + n).ToArray();
}
