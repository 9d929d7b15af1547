using Microsoft.DotNet.Interactive;

namespace StepAudio.Notebooks;

/// <summary>The running notebook cell, as library calls need it.</summary>
public static class NotebookCell
{
    /// <summary>
    /// Cancelled when the user interrupts the cell (Jupyter's interrupt, Polyglot's stop button). .NET cannot abort a
    /// running cell, so a long call must watch it: <c>trainer.Run(NotebookCell.Cancellation)</c> stops after the current
    /// step and saves <c>last/</c>. Outside a cell: never cancelled.
    /// </summary>
    public static CancellationToken Cancellation => KernelInvocationContext.Current?.CancellationToken ?? CancellationToken.None;
}
