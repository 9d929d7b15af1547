using System.CommandLine;
using StepAudio.Config;

namespace StepAudio.Cli.Commands;

/// <summary><c>--device cpu|cuda|cuda:N</c>: overrides the config's <c>device</c> for one command.</summary>
public static class DeviceOption
{
    /// <summary>A new option (each command owns its own instance).</summary>
    public static Option<string?> Create() => new("--device") { Description = "cpu | cuda | cuda:N (default: the config's device)" };

    /// <summary>Writes the parsed value into <paramref name="config"/>; the models check it when they are built.</summary>
    public static StepAudioConfig Apply(StepAudioConfig config, ParseResult parse, Option<string?> option)
    {
        if (parse.GetValue(option) is { } device)
        {
            if (Platform.TorchDevices.Parse(device) is null)
                throw new UsageException($"--device '{device}' is not a device; use cpu, cuda or cuda:N");
            config.Device = device;
        }
        return config;
    }

    /// <summary>True when <paramref name="config"/> trains on a GPU.</summary>
    public static bool IsCuda(StepAudioConfig config) =>
        Platform.TorchDevices.Parse(config.Device) is { Kind: TorchSharp.DeviceType.CUDA };
}
