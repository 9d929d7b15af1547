using static TorchSharp.torch;

namespace StepAudio.CrashProbe;

/// <summary>
/// Raw TorchSharp calls with bad inputs, each run alone in a child process: <c>matmul</c> proves the harness sees an
/// abort; the others record which native entry points throw and which abort (README "Calls that can still abort").
/// </summary>
static class RawCalls
{
    public static void Run(string name)
    {
        using var a = ones(2, 3);
        using var b = ones(4, 5);
        switch (name)
        {
            case "matmul": using (a.matmul(b)) { } break;
            case "cummax":
                var (values, indexes) = a.cummax(5);
                values.Dispose();
                indexes.Dispose();
                break;
            case "mm": using (a.mm(b)) { } break;
            case "autograd-grad":
                using (var y = a.sum())   // a does not require grad: no graph to differentiate
                    foreach (var g in autograd.grad(new[] { y }, new[] { a })) g.Dispose();
                break;
            case "embedding":
                using (var e = nn.Embedding(4, 2))
                using (var ids = tensor(new long[] { 0, 9 }))
                using (e.forward(ids)) { }
                break;
            case "cross-entropy":
                using (var target = tensor(new long[] { 0, 7 }))
                using (nn.functional.cross_entropy(a, target)) { }
                break;
            default: throw new ArgumentException($"unknown raw call '{name}'");
        }
    }
}
