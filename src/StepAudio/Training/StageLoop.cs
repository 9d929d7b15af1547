using System.Diagnostics;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>
/// The loop over stages, epochs and steps. Every random draw of a step (LoRA dropout through the global generator, the
/// CFM draws through their own) is seeded from (seed, stage, step, micro-batch) and every epoch's batch order from
/// (seed, stage, epoch), so a run is bit-identical for a seed and a resumed run continues exactly.
/// </summary>
sealed class StageLoop(StepAudioConfig config, RunFolder run, TrainingInputs data, TrainingEvents events,
    IReadOnlyList<TrainingStage> stages, CancellationToken cancel)
{
    readonly TrainingModels models = data.Models;
    TrainingSummary summary = new() { RunDirectory = run.Path };
    double? lastLlmVal, lastFlowVal;

    public TrainingSummary Run(TrainerPosition? position, string? stateDir)
    {
        try { return RunStages(position, stateDir); }
        finally { tts?.Dispose(); }
    }

    TrainingSummary RunStages(TrainerPosition? position, string? stateDir)
    {
        if (position is null)
        {
            var (l, f) = Validate(0, 0, null, true, true);
            summary.Step0LlmLoss = lastLlmVal = l;
            summary.Step0FlowLoss = lastFlowVal = f;
            position = new TrainerPosition { StageIndex = 0, Epoch = 1, NextWindow = 0, GlobalStep = 0, StageStep = 0, Summary = summary };
        }
        else
        {
            summary = position.Summary with { RunDirectory = run.Path };
            var last = summary.Stages.LastOrDefault();
            lastLlmVal = last?.EndLlmLoss ?? last?.StartLlmLoss ?? summary.Step0LlmLoss;
            lastFlowVal = last?.EndFlowLoss ?? last?.StartFlowLoss ?? summary.Step0FlowLoss;
            LoadWeights(stateDir!);
        }
        int epochBase = 0;
        for (int si = 0; si < stages.Count; si++)
        {
            var stage = stages[si];
            int epochs = stage switch
            {
                TrainingStage.Llm => config.Stage.Stage1Epochs,
                TrainingStage.Flow => config.Stage.Stage2Epochs,
                _ => config.Stage.Stage3Epochs,
            };
            int first = epochBase + 1, last = epochBase + epochs;
            epochBase = last;
            if (si < position.StageIndex) continue;
            if (si == position.StageIndex && position.Epoch > last)
            {
                position = position with { StageIndex = si + 1, NextWindow = 0, StageStep = 0 };
                continue;
            }
            bool resuming = si == position.StageIndex && (position.Epoch > first || position.NextWindow > 0);
            bool completed = RunStage(si, stage, first, last, position, resuming ? stateDir : null);
            WriteSummary();
            if (!completed) break;
            position = position with { StageIndex = si + 1, Epoch = last + 1, NextWindow = 0, StageStep = 0, GlobalStep = summary.Steps };
        }
        // A run killed after its last state save but before the summary write resumes into a loop that skips every
        // stage: write the summary here too, or summary.json stays missing or a stage behind.
        WriteSummary();
        return summary;
    }

    IReadOnlyList<(string Name, Parameter Parameter)> Trainable(TrainingStage stage) => stage switch
    {
        TrainingStage.Llm => models.LlmTrainable,
        TrainingStage.Flow => models.FlowTrainable,
        _ => models.LlmTrainable.Concat(models.FlowTrainable).ToList(),
    };

    /// <summary>Every trainable tensor of both models, named <c>llm.*</c> / <c>flow.*</c>, as the state saves them.</summary>
    IEnumerable<(string Name, Tensor Value)> StateWeights() =>
        models.LlmTrainable.Select(p => ("llm." + p.Name, (Tensor)p.Parameter))
            .Concat(models.FlowTrainable.Select(p => ("flow." + p.Name, (Tensor)p.Parameter)));

    void LoadWeights(string stateDir) => TrainerState.LoadWeights(stateDir, StateWeights());

    /// <summary>Runs one stage from <paramref name="position"/>; false when cancelled.</summary>
    bool RunStage(int stageIndex, TrainingStage stage, int firstEpoch, int lastEpoch, TrainerPosition position, string? stateDir)
    {
        var watch = Stopwatch.StartNew();
        var trainable = Trainable(stage);
        var parameters = trainable.Select(p => p.Parameter).ToList();
        var o = config.Optim;
        double scale = stage == TrainingStage.Joint ? config.Stage.JointLrScale : 1;
        var baseLrs = stage switch
        {
            TrainingStage.Llm => new[] { o.LrLlm },
            TrainingStage.Flow => new[] { o.LrFlow },
            _ => new[] { o.LrLlm * scale, o.LrFlow * scale },
        };
        using OptimizerHelper optimizer = stage == TrainingStage.Joint
            ? optim.AdamW(new[]
            {
                new AdamW.ParamGroup(models.LlmTrainable.Select(p => p.Parameter), new AdamW.Options { LearningRate = baseLrs[0] }),
                new AdamW.ParamGroup(models.FlowTrainable.Select(p => p.Parameter), new AdamW.Options { LearningRate = baseLrs[1] }),
            }, lr: baseLrs[0], weight_decay: o.WeightDecay)
            : new ContiguousAdamW(parameters, baseLrs[0], weight_decay: o.WeightDecay);
        using var ema = o.EmaDecay > 0 ? new ExponentialMovingAverage(trainable, o.EmaDecay) : null;
        if (stateDir != null)
        {
            TrainerState.LoadOptimizer(stateDir, optimizer);
            if (ema != null) TrainerState.LoadEma(stateDir, ema);
        }

        var batches = BuildBatches(stage, data.Train, shuffleable: true);
        int accum = o.AccumGrad;
        int windows = (batches.Count + accum - 1) / accum;
        var schedule = new LearningRateSchedule(o.WarmupSteps, (long)windows * (lastEpoch - firstEpoch + 1), o.Scheduler, o.MinLrRatio);
        var stageSummary = summary.Stages.FirstOrDefault(s => s.Stage == stage);
        if (stageSummary is null)
        {
            stageSummary = new StageSummary
            {
                Stage = stage, FirstEpoch = firstEpoch, LastEpoch = lastEpoch, StartLlmLoss = lastLlmVal, StartFlowLoss = lastFlowVal,
                StartJointLoss = stage == TrainingStage.Joint ? Joint(lastLlmVal, lastFlowVal) : null,
            };
            summary.Stages.Add(stageSummary);
        }
        double secondsBefore = stageSummary.Seconds;
        events.Publish(new StageStarted(stage, firstEpoch, lastEpoch, windows, parameters.Sum(p => p.numel()), position.StageStep));
        long globalStep = position.GlobalStep, stageStep = position.StageStep;
        int startEpoch = Math.Max(firstEpoch, position.Epoch);
        int startWindow = position.Epoch >= firstEpoch ? position.NextWindow : 0;

        TrainerPosition Here(int epoch, int window) => new()
        {
            StageIndex = stageIndex, Epoch = epoch, NextWindow = window, GlobalStep = globalStep, StageStep = stageStep,
            Summary = summary,
        };
        void SaveState(int epoch, int window)
        {
            stageSummary.Seconds = secondsBefore + watch.Elapsed.TotalSeconds;
            var dir = TrainerState.Save(run.Last, Here(epoch, window), StateWeights(), ema, optimizer);
            events.Publish(new CheckpointSaved("state", "last", dir, epoch, globalStep));
        }

        for (int epoch = startEpoch; epoch <= lastEpoch; epoch++)
        {
            var order = LengthBatcher.EpochOrder(batches.Count, config.Seed, stage, epoch);
            for (int w = epoch == startEpoch ? startWindow : 0; w < windows; w++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveState(epoch, w);
                    stageSummary.Seconds = secondsBefore + watch.Elapsed.TotalSeconds;
                    events.Publish(new StageFinished(stage, stageSummary.Steps, stageSummary.Seconds, true));
                    return false;
                }
                var window = order.Skip(w * accum).Take(accum).Select(i => batches[i]).ToList();
                var factor = schedule.Factor(stageStep);
                int g = 0;
                foreach (var group in optimizer.ParamGroups) group.LearningRate = baseLrs[g++] * factor;
                globalStep++;
                stageStep++;
                Step(stage, epoch, globalStep, w + 1, windows, window, optimizer, parameters, ema, baseLrs[0] * factor, stageSummary);
                stageSummary.Steps = stageStep;
                summary.Steps = globalStep;
                if (config.Save.StateInterval > 0 && globalStep % config.Save.StateInterval == 0 && w + 1 < windows)
                    SaveState(epoch, w + 1);
            }
            EndOfEpoch(stage, epoch, firstEpoch, lastEpoch, globalStep, stageSummary, ema);
            if (epoch == lastEpoch) stageSummary.Completed = true;
            SaveState(epoch + 1, 0);
        }
        stageSummary.Seconds = secondsBefore + watch.Elapsed.TotalSeconds;
        events.Publish(new StageFinished(stage, stageSummary.Steps, stageSummary.Seconds, false));
        return true;
    }

    double? Joint(double? llm, double? flow) =>
        llm is { } l && flow is { } f ? config.Loss.LlmWeight * l + config.Loss.FlowWeight * f : null;

    /// <summary>Batches of a split for a stage: LLM examples by sequence length, flow clips by mel frames, joint pairs by LLM length.</summary>
    List<int[]> BuildBatches(TrainingStage stage, TrainingSplit split, bool shuffleable)
    {
        var lengths = stage switch
        {
            TrainingStage.Llm => split.Llm.Select(i => i.Example.Length).ToList(),
            TrainingStage.Flow => split.Flow.Select(c => (int)c.Feat.shape[0]).ToList(),
            _ => split.Joint.Select(j => split.Llm[j.Llm].Example.Length).ToList(),
        };
        return LengthBatcher.Build(lengths, config.Data.BatchSize, config.Data.MaxFramesInBatch, config.Data.Bucketing || !shuffleable);
    }

    /// <summary>
    /// One optimizer step over an accumulation window (<see cref="TrainingStep.Accumulate"/>), one global gradient
    /// clip, and the update — or nothing applied when the loss or gradient norm is not finite.
    /// </summary>
    void Step(TrainingStage stage, int epoch, long globalStep, int stepInEpoch, int stepsInEpoch, List<int[]> window,
        OptimizerHelper optimizer, List<Parameter> parameters, ExponentialMovingAverage? ema, double lr, StageSummary stageSummary)
    {
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        models.Llm?.train();
        models.Flow?.train();
        optimizer.zero_grad();
        var (loss, llmLoss, flowLoss) = TrainingStep.Accumulate(models, data.Train, stage, window, config.Loss, config.Seed, globalStep);
        double gradNorm = nn.utils.clip_grad_norm_(parameters, config.Optim.GradClip);
        int items = window.Sum(b => b.Length);
        if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
        {
            optimizer.zero_grad();
            stageSummary.SkippedSteps++;
            events.Publish(new StepSkipped(stage, epoch, globalStep, loss, gradNorm,
                !double.IsFinite(loss) ? "the loss is not finite" : "the gradient norm is not finite"));
            return;
        }
        optimizer.step();
        ema?.Update();
        double seconds = watch.Elapsed.TotalSeconds;
        events.Publish(new StepCompleted(stage, epoch, globalStep, stepInEpoch, stepsInEpoch, loss,
            stage == TrainingStage.Flow ? null : llmLoss, stage == TrainingStage.Llm ? null : flowLoss, lr, gradNorm,
            items / Math.Max(seconds, 1e-9), seconds));
    }

    void EndOfEpoch(TrainingStage stage, int epoch, int firstEpoch, int lastEpoch, long globalStep, StageSummary stageSummary,
        ExponentialMovingAverage? ema)
    {
        bool validate = (epoch - firstEpoch + 1) % config.ValInterval == 0 || epoch == lastEpoch;
        using var swapped = ema?.SwapIn();
        bool trainsLlm = stage != TrainingStage.Flow, trainsFlow = stage != TrainingStage.Llm;
        if (validate)
        {
            var (l, f) = Validate(epoch, globalStep, stage, trainsLlm, trainsFlow);
            if (trainsLlm) lastLlmVal = l;
            if (trainsFlow) lastFlowVal = f;
            stageSummary.EndLlmLoss = lastLlmVal;
            stageSummary.EndFlowLoss = lastFlowVal;
            if (stage == TrainingStage.Joint) stageSummary.EndJointLoss = Joint(lastLlmVal, lastFlowVal);
            if (config.Save.SaveBest)
            {
                if (trainsLlm && l is { } lv && (summary.BestLlmLoss is null || lv < summary.BestLlmLoss))
                {
                    summary.BestLlmLoss = lv;
                    summary.BestLlmCheckpoint = SaveLlm("llm_best", "best", epoch, globalStep);
                }
                if (trainsFlow && f is { } fv && (summary.BestFlowLoss is null || fv < summary.BestFlowLoss))
                {
                    summary.BestFlowLoss = fv;
                    summary.BestFlowCheckpoint = SaveFlow("flow_best", "best", epoch, globalStep);
                }
            }
        }
        if (config.Save.SampleInterval > 0 && epoch % config.Save.SampleInterval == 0) Samples(epoch, globalStep);
        if (config.Save.SaveInterval > 0 && epoch % config.Save.SaveInterval == 0)
        {
            if (trainsLlm) SaveLlm($"llm_epoch_{epoch}", "epoch", epoch, globalStep);
            if (trainsFlow) SaveFlow($"flow_epoch_{epoch}", "epoch", epoch, globalStep);
        }
    }

    Inference.StepAudioTts? tts;

    /// <summary>
    /// Clones the first <c>save.sample_count</c> validation records with the current weights (fixed seed, so epochs
    /// compare) and writes each WAV and mel under <c>samples/epoch_NNN/</c>.
    /// </summary>
    void Samples(int epoch, long step)
    {
        if (models.Llm is null || models.Flow is null)
        {
            events.Publish(new TrainingMessage("info", "audio samples need both the LLM and the flow; this run trains one of them"));
            return;
        }
        tts ??= new Inference.StepAudioTts(models, data.FrontEnd, Vocoder.VocoderFactory.Create(config), config.Model.Flow.NTimesteps);
        var dir = Path.Combine(run.Samples, $"epoch_{epoch:D3}");
        Directory.CreateDirectory(dir);
        foreach (var (item, index) in data.Val.Llm.Take(config.Save.SampleCount).Select((x, i) => (x, i)))
        {
            var r = item.Record;
            var name = $"{index:D2}_{Path.GetFileNameWithoutExtension(r.TargetAudioPath)}";
            try
            {
                var options = new Inference.TtsOptions { Seed = config.Seed, MaxSeconds = Math.Max(2, 1.5 * item.TargetTokens / (125 / 3.0)) };
                var result = tts.Render(r, options);
                var wav = Path.Combine(dir, name + ".wav");
                var mel = Path.Combine(dir, name + ".mel.safetensors");
                AtomicFile.Write(wav, tmp => Audio.WavFile.Write(tmp, result.Audio));
                using (var m = tensor(result.Mel))
                    Checkpoints.SafetensorsFile.Save(mel, new[] { KeyValuePair.Create("mel", m) });
                events.Publish(new SampleGenerated(epoch, step, name, wav, mel, r.TargetText ?? ""));
            }
            catch (InvalidOperationException e)
            {
                events.Publish(new TrainingMessage("warning", $"sample {name}: {e.Message}"));
            }
        }
        models.Llm.train();
        models.Flow.train();
    }

    string SaveLlm(string name, string kind, int epoch, long step)
    {
        var path = run.LlmCheckpoint(name);
        TrainingCheckpoints.SaveLlm(models.Llm!, models.Lora!, path, epoch, models.LlmBase, data.FrontEndIdentity);
        events.Publish(new CheckpointSaved("llm", kind, path, epoch, step));
        return path;
    }

    string SaveFlow(string name, string kind, int epoch, long step)
    {
        var path = run.FlowCheckpoint(name);
        TrainingCheckpoints.SaveFlow(models.Flow!, path, epoch, models.FlowBase, data.FrontEndIdentity);
        events.Publish(new CheckpointSaved("flow", kind, path, epoch, step));
        return path;
    }

    /// <summary>
    /// Validation losses: the token-weighted mean next-token loss over the validation examples, and the frame-weighted
    /// CFM loss with draws from a fixed seed (the same draws at every validation, so epochs compare).
    /// </summary>
    (double? Llm, double? Flow) Validate(int epoch, long step, TrainingStage? stage, bool doLlm, bool doFlow)
    {
        var watch = Stopwatch.StartNew();
        var val = data.Val;
        double? llm = null, flow = null;
        using (no_grad())
        {
            if (doLlm && models.Llm is { } m && val.Llm.Count > 0)
            {
                m.eval();
                double sum = 0, count = 0;
                using var products = CpuConvolutionGuard.OneDnnProductsFor(m.LmHeadWeight);
                foreach (var b in BuildBatches(TrainingStage.Llm, val, shuffleable: false))
                {
                    using var scope = NewDisposeScope();
                    var items = b.Select(i => val.Llm[i]).ToList();
                    double n = items.Sum(i => (double)i.TargetTokens);
                    sum += Batches.LlmLoss(m, items).item<float>() * n;
                    count += n;
                }
                llm = sum / count;
            }
            if (doFlow && models.Flow is { } f && val.Flow.Count > 0)
            {
                f.eval();
                double sum = 0, count = 0;
                foreach (var b in BuildBatches(TrainingStage.Flow, val, shuffleable: false))
                {
                    using var scope = NewDisposeScope();
                    var clips = b.Select(i => val.Flow[i]).ToList();
                    var seeds = b.Select(i => (ulong)LengthBatcher.HashCode32(config.Seed, 0x7a1, i)).ToList();
                    double n = clips.Sum(c => (double)c.ValidFrames);
                    sum += Batches.FlowLoss(f, clips, seeds).item<float>() * n;
                    count += n;
                }
                flow = sum / count;
            }
        }
        events.Publish(new ValidationCompleted(stage, epoch, step, llm, flow, watch.Elapsed.TotalSeconds));
        return (llm, flow);
    }

    void WriteSummary() =>
        AtomicFile.WriteAllText(run.Summary, System.Text.Json.JsonSerializer.Serialize(summary,
            new System.Text.Json.JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower }));
}
