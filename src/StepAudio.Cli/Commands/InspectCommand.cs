using System.CommandLine;
using StepAudio.Checkpoints;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio inspect CKPT</c>: lists a checkpoint's tensors (key, dtype, shape) and metadata — a torch.save
/// <c>.pt</c>, a <c>.safetensors</c> file, a PEFT adapter or Hugging Face model folder — without loading the weights
/// and without running anything a pickle asks for (see <see cref="CheckpointInspector"/>).
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("CKPT")
        {
            Description = "a .pt/.pth/.bin written by torch.save, a .safetensors file, or a PEFT adapter / Hugging Face model folder",
        };
        var command = new Command("inspect",
            "List a checkpoint's tensors (key, dtype, shape) and metadata safely: pickles that ask to run code are refused");
        command.Arguments.Add(checkpoint);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            Console.Write(CheckpointInspector.Inspect(parse.GetValue(checkpoint)!).ToText());
            return StepAudioCli.Success;
        }));
        return command;
    }
}
