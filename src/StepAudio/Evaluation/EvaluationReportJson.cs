using System.Text.Json;

namespace StepAudio.Evaluation;

/// <summary>
/// <c>eval.json</c>: an <see cref="EvaluationReport"/> as snake_case JSON (<c>groups[].before.mcd_db</c>, …); a metric
/// that was not measured is <c>null</c>.
/// </summary>
public static class EvaluationReportJson
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // ↑ ↓ and CJK paths stay readable
    };

    /// <summary>The report as JSON text.</summary>
    public static string Serialize(EvaluationReport report) => JsonSerializer.Serialize(report, Options);

    /// <summary>Reads an <c>eval.json</c>; a missing or damaged file is an <see cref="InputException"/> naming it.</summary>
    public static EvaluationReport Read(string path)
    {
        if (!File.Exists(path))
            throw new InputException(path, null, null, "not found", "evaluate the run first: stepaudio evaluate --run DIR (or finetune --evaluate)");
        return InputException.ReadingJson(path, () => JsonSerializer.Deserialize<EvaluationReport>(File.ReadAllText(path), Options)
            ?? throw new JsonException("the file holds null"));
    }
}
