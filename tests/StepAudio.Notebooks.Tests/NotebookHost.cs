using System.Collections.Concurrent;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;
using System.Reactive.Linq;

namespace StepAudio.Notebooks.Tests;

/// <summary>
/// An in-process C# kernel wired like the notebook tool's: <c>#r "nuget:"</c>, <c>display()</c>, and the loader that
/// runs a package's <c>interactive-extensions/dotnet</c> (the tool's own loader ships only inside the tool).
/// In-process is not proof for the tool (it resolves assemblies more loosely): the integration tier runs the real one.
/// </summary>
public static class NotebookHost
{
    public static CompositeKernel CreateKernel()
    {
        var csharp = new CSharpKernel()
            .UseNugetDirective((k, refs) =>
            {
                k.AddAssemblyReferences(refs.SelectMany(r => r.AssemblyPaths));
                return Task.CompletedTask;
            })
            .UseKernelHelpers()
            .UseValueSharing();
        var composite = new CompositeKernel { csharp };
        composite.DefaultKernelName = csharp.Name;
        return UseNuGetExtensions(composite);
    }

    /// <summary>A kernel that already references the toolkit's assemblies and has run the extension.</summary>
    public static async Task<CompositeKernel> CreateLoadedKernelAsync()
    {
        var kernel = CreateKernel();
        var csharp = (CSharpKernel)kernel.ChildKernels.Single();
        csharp.AddAssemblyReferences(new[]
        {
            typeof(NotebookExtension).Assembly.Location, typeof(StepAudio.AtomicFile).Assembly.Location,
            typeof(TorchSharp.torch).Assembly.Location, typeof(Plotly.NET.GenericChart).Assembly.Location,
            typeof(Plotly.NET.CSharp.Chart).Assembly.Location,
        });
        var result = await kernel.SendAsync(new SubmitCode(
            "StepAudio.Notebooks.NotebookExtension.Load(Microsoft.DotNet.Interactive.KernelInvocationContext.Current.HandlingKernel.RootKernel);"));
        EnsureSucceeded(result, "loading the extension");
        return kernel;
    }

    static CompositeKernel UseNuGetExtensions(CompositeKernel kernel)
    {
        var pending = new ConcurrentQueue<PackageAdded>();
        var seen = new ConcurrentDictionary<string, bool>();
        kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (pending.TryDequeue(out var added))
            {
                var dir = new DirectoryInfo(Path.Combine(added.PackageReference.PackageRoot, "interactive-extensions", "dotnet"));
                if (!dir.Exists) continue;
                foreach (var dll in dir.GetFiles("*.dll"))
                {
                    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll.FullName);
                    foreach (var type in assembly.ExportedTypes.Where(t =>
                                 !t.IsAbstract && !t.IsInterface && typeof(IKernelExtension).IsAssignableFrom(t)))
                    {
                        var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                        await extension.OnLoadAsync(kernel);
                        context.Publish(new KernelExtensionLoaded(extension, context.Command));
                    }
                }
                var dib = new FileInfo(Path.Combine(dir.FullName, "extension.dib"));
                if (dib.Exists) await kernel.LoadAndRunInteractiveDocument(dib, context.Command);
            }
        });
        kernel.RegisterForDisposal(kernel.KernelEvents.OfType<PackageAdded>()
            .Where(added => added.PackageReference.PackageRoot is not null)
            .Subscribe(added =>
            {
                if (seen.TryAdd(added.PackageReference.PackageRoot, true)) pending.Enqueue(added);
            }));
        return kernel;
    }

    public static void EnsureSucceeded(KernelCommandResult result, string what)
    {
        var failed = result.Events.OfType<CommandFailed>().FirstOrDefault();
        if (failed != null) throw new Xunit.Sdk.XunitException($"{what} failed: {failed.Message}");
    }

    /// <summary>Every text/html value a submission displayed or returned, in order.</summary>
    public static List<string> Html(KernelCommandResult result) =>
        result.Events.OfType<DisplayEvent>()
            .SelectMany(e => e.FormattedValues)
            .Where(v => v.MimeType == HtmlFormatter.MimeType)
            .Select(v => v.Value)
            .ToList();
}
