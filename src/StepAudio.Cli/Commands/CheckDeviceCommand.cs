using System.CommandLine;
using StepAudio.Bench;
using StepAudio.Platform;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio check-device --device cuda [--size small|tiny]</c>: one LLM LoRA step and one flow decoder step on the
/// device against the CPU (<see cref="DeviceParityCheck"/>), one line each; exit 1 when one is out of tolerance.
/// The first part of scripts/gpu-check.sh; with <c>--device cpu</c> it checks the harness.
/// </summary>
public static class CheckDeviceCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N", DefaultValueFactory = _ => "cuda" };
        var size = new Option<string>("--size") { Description = "tiny | small (bench-llm's and bench-flow's sizes)", DefaultValueFactory = _ => "small" };
        size.AcceptOnlyFromAmong("tiny", "small");
        var command = new Command("check-device", "Check that a training step on a device matches the CPU (loss and every gradient)");
        foreach (var o in new Option[] { device, size }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var d = TorchDevices.Resolve(parse.GetValue(device)!);
            var results = DeviceParityCheck.Run(d, parse.GetValue(size)!);
            foreach (var r in results) Console.WriteLine(r);
            return results.All(r => r.Passed) ? StepAudioCli.Success : StepAudioCli.BadInput;
        }));
        return command;
    }
}
