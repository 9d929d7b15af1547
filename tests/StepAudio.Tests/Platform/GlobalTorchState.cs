namespace StepAudio.Tests.Platform;

/// <summary>
/// Tests that change or depend on LibTorch's process-wide oneDNN switch run alone, after the parallel ones: a bf16
/// product scope in another test would otherwise let a convolution here take the oneDNN path.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchState
{
    public const string Name = "LibTorch global state";
}
