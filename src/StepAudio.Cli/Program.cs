using StepAudio.Cli.Commands;

// The command tree and the exit-code rule live in Commands/StepAudioCli.cs; the logic the commands call lives in src/StepAudio.
return StepAudioCli.Run(args);
