using System.Globalization;
using StepAudio.Checkpoints;
using StepAudio.Tests.Training;
using StepAudio.Training;

namespace StepAudio.Tests.Integration;

/// <summary>Python torch loads the flow.pt of an official export as the released code loads its own: a plain state dict.</summary>
[Trait("Tier", "Integration")]
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class RunExportPythonTests
{
    [Fact]
    public void TorchLoadsTheOfficialFlowPtAsAPlainStateDict()
    {
        var python = IntegrationTier.Python;   // fails first, before training, when the tier is off
        Assert.NotEmpty(python);
        var config = TrainingFixture.Config(c => { c.TrainMode = StepAudio.Config.TrainMode.Flow; c.Save.SaveInterval = 0; });
        var run = TrainingFixture.Run(config).Summary.RunDirectory;
        var output = Path.Combine(TestPaths.NewTempDir("stepaudio-export-py"), "official");
        RunExport.Export(new ExportOptions { Run = run, Output = output, Format = ExportFormat.Official });
        var flowPt = Path.Combine(output, RunExport.OfficialFlowFolder, RunExport.FlowFile);

        var state = StateDictFile.Load(flowPt);
        long numel = state.Values.Sum(t => t.numel());
        double sum = state.Values.Sum(t => t.to_type(TorchSharp.torch.ScalarType.Float64).sum().item<double>());
        var line = IntegrationTier.RunPython("check_export_flow.py", flowPt).Trim();
        Assert.StartsWith($"plain state dict: {state.Count} tensors, {numel} elements, sum ", line);
        var pythonSum = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(pythonSum - sum) <= 1e-6 * Math.Max(1, Math.Abs(sum)), $"python sum {pythonSum}, C# sum {sum}");
        foreach (var t in state.Values) t.Dispose();
    }
}
