namespace StepAudio.Tests.Parity;

/// <summary>
/// Builds one upstream component from a fixture's <c>config</c>, runs the stored inputs and compares every stored
/// output through the report. Implementations are discovered by reflection; <see cref="Component"/> is the exact
/// <c>component</c> identifier of fixture.json.
/// </summary>
public interface IParityComponent
{
    string Component { get; }
    void Run(ParityFixture fixture, ParityReport report);
}
