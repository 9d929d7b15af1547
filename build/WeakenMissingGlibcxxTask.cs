// The MSBuild task behind Directory.Build.targets' StepAudioPatchLibTorchSharp. Not part of any project: the build
// appends it to src/StepAudio/Platform/LibstdcxxCompat.cs (whose using directives it relies on) and compiles the pair
// with RoslynCodeTaskFactory, so the library holds the ELF patcher only and the task stays out of the product.
namespace StepAudio.Build
{
    /// <summary>MSBuild task: weakens missing libstdc++ version needs of a built libLibTorchSharp.so.</summary>
    public class WeakenMissingGlibcxxTask : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string LibraryPath { get; set; } = "";

        public override bool Execute()
        {
            try
            {
                var weakened = StepAudio.Platform.LibstdcxxCompat.PatchInPlace(LibraryPath);
                if (weakened.Count > 0)
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "StepAudio: marked " + string.Join(", ", weakened) + " weak in " + LibraryPath +
                        " (system libstdc++ is older than TorchSharp's build; see README, Platform notes)");
                return true;
            }
            catch (Exception e)
            {
                Log.LogError("StepAudio: could not patch " + LibraryPath + ": " + e.Message);
                return false;
            }
        }
    }
}
