using System.Runtime.InteropServices;
using System.Text.Json;
using StepAudio.CrashProbe;

// probe            : runs every wrong-input case; one JSON line per case, then "DONE <count>"; exit 0.
// probe raw <name> : one raw TorchSharp call with bad shapes (see RawCalls); exit 3 if it threw, 4 if it returned.
if (args is ["raw", var name])
{
    try
    {
        RawCalls.Run(name);
        Console.WriteLine("raw call returned");
        return 4;
    }
    catch (Exception e)
    {
        Console.WriteLine($"raw call threw {e.GetType().FullName}: {e.Message.Split('\n')[0]}");
        return 3;
    }
}

using var models = new TinyModels(FindRepoRoot());
var cases = Cases.All(models).ToList();
if (args is [var only]) cases = cases.Where(c => c.Name == only).ToList();
foreach (var c in cases)
{
    string outcome, type = "", message = "";
    try
    {
        c.Run();
        outcome = "returned";
    }
    catch (Exception e)
    {
        outcome = e is ExternalException ? "native" : "threw";   // native = LibTorch's error, not our check
        type = e.GetType().FullName!;
        message = e.Message;
    }
    Console.WriteLine(JsonSerializer.Serialize(new { @case = c.Name, outcome, type, message, expect = c.Expect }));
    Console.Out.Flush();
}
Console.WriteLine($"DONE {cases.Count}");
return 0;

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "StepAudioNotebooks.sln"))) return dir.FullName;
    throw new InvalidOperationException("StepAudioNotebooks.sln not found above " + AppContext.BaseDirectory);
}
