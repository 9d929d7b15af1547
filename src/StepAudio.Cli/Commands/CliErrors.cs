namespace StepAudio.Cli.Commands;

/// <summary>Turns user-input errors into a one-line message and exit code 1 instead of a stack trace.</summary>
public static class CliErrors
{
    /// <summary>Runs <paramref name="body"/>; an <see cref="InputException"/> prints its message and returns <see cref="StepAudioCli.BadInput"/>.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InputException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return StepAudioCli.BadInput;
        }
    }
}
