using StepAudio.Config;
using StepAudio.Training;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// One epoch's analytic FLOPs of a stage (<see cref="StepFlops"/>), summed over the batches the trainer builds, each
/// priced at its padded length: the LLM's hardware FLOPs (bf16 or fp32 base, <paramref name="LlmDtype"/>) and the
/// flow's (float32, frozen encoder).
/// </summary>
public sealed record StageFlops(TrainingStage Stage, double LlmFlops, double FlowFlops, ScalarType LlmDtype)
{
    /// <summary>Both parts.</summary>
    public double Total => LlmFlops + FlowFlops;

    /// <summary>Seconds an epoch would take at <paramref name="peak"/>: each part at the peak of its dtype.</summary>
    public double IdealSeconds(PeakGflops peak) => (LlmFlops / peak.For(LlmDtype).Gflops + FlowFlops / peak.Float32.Gflops) / 1e9;

    /// <summary>The FLOPs of one epoch of each of <paramref name="stages"/>.</summary>
    public static IReadOnlyList<StageFlops> PerEpoch(StepAudioConfig config, TrainingInputs inputs, IEnumerable<TrainingStage> stages)
    {
        var split = inputs.Train;
        var m = inputs.Models;
        var llm = config.Model.Llm;
        double Llm(IEnumerable<int> items)
        {
            var lengths = items.Select(i => split.Llm[i].Example.Length).ToList();
            return StepFlops.Step1Lora(m.Llm!.Config, m.Lora, lengths.Count, lengths.Max(), checkpointing: llm.GradientCheckpointing).HardwareFlops;
        }
        double Flow(IEnumerable<int> clips)
        {
            var frames = clips.Select(i => (int)split.Flow[i].Feat.shape[0]).ToList();
            return StepFlops.FlowStep(m.Flow!.Config, frames.Count, frames.Max()).HardwareFlops;
        }
        return stages.Select(s =>
        {
            var batches = TrainingBench.Batches(config, split, s);
            return s switch
            {
                TrainingStage.Llm => new StageFlops(s, batches.Sum(b => Llm(b)), 0, TrainingModels.BaseDtype(llm)),
                TrainingStage.Flow => new StageFlops(s, 0, batches.Sum(b => Flow(b)), TrainingModels.BaseDtype(llm)),
                _ => new StageFlops(s, batches.Sum(b => Llm(b.Select(j => split.Joint[j].Llm))),
                    batches.Sum(b => Flow(b.Select(j => split.Joint[j].Flow))), TrainingModels.BaseDtype(llm)),
            };
        }).ToList();
    }
}
