namespace StepAudio.Cli.Commands;

/// <summary>Turns user-input errors into a one-line message and exit code 1 instead of a stack trace.</summary>
public static class CliErrors
{
    /// <summary>Runs <paramref name="body"/>; an <see cref="InputException"/> prints its message and returns <see cref="StepAudioCli.BadInput"/>.</summary>
    public static int Run(Func<int> body, bool modelOutputErrors = false)
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
        catch (InvalidOperationException e) when (modelOutputErrors)
        {
            // Generation that produced nothing usable (e.g. an untrained model): a message, not a stack trace.
            Console.Error.WriteLine("error: " + e.Message);
            return StepAudioCli.BadInput;
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return StepAudioCli.Usage;
        }
    }
}

/// <summary>A combination of options the parser cannot check (e.g. one option required by another's value): exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);
