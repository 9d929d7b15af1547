using System.CommandLine;
using StepAudio.Data;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio edit</c>: re-render a clip with an emotion, style, speed, denoise, vad or paralinguistic edit (upstream <c>StepAudioTTS.edit</c>).</summary>
public static class EditCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var inputWav = new Option<FileInfo>("--input-wav") { Description = "the clip to edit (WAV)", Required = true };
        var audioText = new Option<string>("--audio-text") { Description = "what the clip says", Required = true };
        var editType = new Option<string>("--edit-type") { Description = "emotion | style | speed | denoise | vad | paralinguistic", Required = true };
        editType.AcceptOnlyFromAmong("emotion", "style", "speed", "denoise", "vad", "paralinguistic");
        var editInfo = new Option<string?>("--edit-info") { Description = "the option: happy, whisper, faster … (emotion, style, speed)" };
        var text = new Option<string?>("--text") { Description = "the new text with tags, for paralinguistic" };
        var iterations = new Option<int>("--iterations") { Description = "edit the result again N − 1 times (upstream's --n-edit-iter)", DefaultValueFactory = _ => 1 };
        var command = new Command("edit", "Edit --input-wav: emotion, style, speed, denoise, vad or paralinguistic (iteratively with --iterations)");
        models.AddTo(command);
        foreach (var o in new Option[] { inputWav, audioText, editType, editInfo, text, iterations }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var wav = parse.GetValue(inputWav)!.FullName;
            if (!File.Exists(wav)) throw new InputException(wav, null, "--input-wav", "not found", "check the path");
            var type = parse.GetValue(editType)!;
            var info = parse.GetValue(editInfo);
            EditTypes.TryParse(type, out var kind);
            if (kind.NeedsEditInfo() && string.IsNullOrWhiteSpace(info))
                throw new UsageException($"--edit-info is required for {type} (one of: {string.Join(", ", kind.KnownEditInfo())})");
            if (kind == EditType.Paralinguistic && string.IsNullOrWhiteSpace(parse.GetValue(text)))
                throw new UsageException("--text is required for paralinguistic: the new text with tags such as [Laughter]");
            int n = parse.GetValue(iterations);
            if (n < 1) throw new UsageException($"--iterations must be ≥ 1, got {n}");
            using var tts = models.Load(parse);
            var result = tts.Edit(wav, parse.GetValue(audioText)!, type, info, parse.GetValue(text), n, models.Options(parse));
            return models.Write(parse, result);
        }, modelOutputErrors: true));
        return command;
    }
}
