using Xunit.Abstractions;
using Xunit.Sdk;

namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>
/// Runs the notebook tests in notebook order, as a reader would: each notebook also runs alone (it trains what an
/// earlier stage would have left), but in order no stage is trained twice.
/// </summary>
public sealed class NotebookOrder : ITestCaseOrderer
{
    public const string TypeName = "StepAudio.Notebooks.Tests.Notebooks.NotebookOrder", Assembly = "StepAudio.Notebooks.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
