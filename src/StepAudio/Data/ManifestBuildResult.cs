namespace StepAudio.Data;

/// <summary>What <see cref="ManifestBuilder.Build"/> wrote.</summary>
/// <param name="TrainPath">The train manifest.</param>
/// <param name="ValPath">The validation manifest.</param>
/// <param name="TrainRecords">Records in the train manifest.</param>
/// <param name="ValRecords">Records in the validation manifest.</param>
/// <param name="Speakers">Speaker folders that gave records.</param>
/// <param name="Notes">Clips or folders left out or left without text, and why.</param>
public sealed record ManifestBuildResult(string TrainPath, string ValPath, int TrainRecords, int ValRecords,
    int Speakers, IReadOnlyList<string> Notes);
