using StepAudio.Config;

namespace StepAudio.Notebooks;

/// <summary>
/// The embedded default (<c>configs/tiny.yaml</c>) as the notebooks use it: runs under <see cref="NotebookRuns.Root"/>,
/// no epoch checkpoints or audio samples in the run folder (the notebooks make their own), and in the quick setting
/// one epoch per stage (two for the cheap flow stage).
/// </summary>
public static class NotebookConfig
{
    /// <summary>Epochs per stage in the quick setting: enough for the losses to move, seconds each.</summary>
    public static (int Llm, int Flow, int Joint) QuickEpochs { get; } = (1, 2, 1);

    /// <summary>A fresh copy of the default with the notebook overrides; <paramref name="tweak"/> changes it further.</summary>
    public static StepAudioConfig Load(Action<StepAudioConfig>? tweak = null)
    {
        var config = ConfigLoader.Load(DefaultConfig.Locate());
        config.Save.CkptDir = NotebookRuns.Root;
        config.Save.SaveInterval = 0;       // llm_best/ and flow_best.pt are all later notebooks read
        config.Save.SampleInterval = 0;
        if (NotebookSetting.Quick)
        {
            config.Stage.Stage1Epochs = QuickEpochs.Llm;
            config.Stage.Stage2Epochs = QuickEpochs.Flow;
            config.Stage.Stage3Epochs = QuickEpochs.Joint;
        }
        tweak?.Invoke(config);
        return config;
    }

    /// <summary>Sets the epochs of the three stages (a short run: e.g. <c>WithEpochs(c, 1, 0, 0)</c> is stage 1 only).</summary>
    public static StepAudioConfig WithEpochs(this StepAudioConfig config, int llm, int flow, int joint)
    {
        config.Stage.Stage1Epochs = llm;
        config.Stage.Stage2Epochs = flow;
        config.Stage.Stage3Epochs = joint;
        return config;
    }
}
