using System.CommandLine;

namespace StepAudio.Cli.Commands;

/// <summary><c>stepaudio clone</c>: speak a text in the voice of a prompt clip (upstream <c>StepAudioTTS.clone</c>).</summary>
public static class CloneCommand
{
    public static Command Create()
    {
        var models = new ModelOptions();
        var promptWav = new Option<FileInfo>("--prompt-wav") { Description = "the voice to clone (WAV)", Required = true };
        var promptText = new Option<string>("--prompt-text") { Description = "what the prompt clip says", Required = true };
        var targetText = new Option<string>("--target-text") { Description = "what to say", Required = true };
        var command = new Command("clone", "Speak --target-text in the voice of --prompt-wav (base model, a run's best weights, or checkpoints)");
        models.AddTo(command);
        foreach (var o in new Option[] { promptWav, promptText, targetText }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var wav = parse.GetValue(promptWav)!.FullName;
            if (!File.Exists(wav)) throw new InputException(wav, null, "--prompt-wav", "not found", "check the path");
            using var tts = models.Load(parse);
            var result = tts.Clone(wav, parse.GetValue(promptText)!, parse.GetValue(targetText)!, models.Options(parse));
            return models.Write(parse, result);
        }, modelOutputErrors: true));
        return command;
    }
}
