using System.Reflection;
using System.Runtime.Loader;

namespace StepAudio.Notebooks;

/// <summary>
/// Plotly.NET 6.0.0 (the only version served) is built against FSharp.Core 10.1, while the notebook tool
/// (Microsoft.dotnet-interactive 1.0.712001) has already loaded its own FSharp.Core 10.0: without this the first chart
/// fails with "Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'". Answering that request with the
/// loaded FSharp.Core works (every FSharp.Core member Plotly.NET references exists in 10.0). Outside the tool the
/// request never fails, so the handler never runs.
/// </summary>
static class FSharpCoreResolver
{
    static int installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
            name.Name == "FSharp.Core"
                ? context.Assemblies.FirstOrDefault(a => a.GetName().Name == "FSharp.Core")
                  ?? context.LoadFromAssemblyName(new AssemblyName("FSharp.Core"))
                : null;
    }
}
