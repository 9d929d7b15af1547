using StepAudio.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

public class ContiguousAdamWTests
{
    /// <summary>
    /// Two identical small models: Linear → Tanh → Linear, plus a parameter the loss never uses. The second copies the
    /// first's values (tests run in parallel, so the global seed cannot make them equal).
    /// </summary>
    static (Sequential Net, Parameter Unused)[] Twins()
    {
        var a = (Net: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)), Unused: nn.Parameter(randn(4)));
        var b = (Net: nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)), Unused: nn.Parameter(a.Unused.detach().clone()));
        using (no_grad())
            foreach (var (pa, pb) in a.Net.parameters().Zip(b.Net.parameters())) pb.copy_(pa);
        return new[] { a, b };
    }

    static List<Parameter> Params((Sequential Net, Parameter Unused) m) => m.Net.parameters().Append(m.Unused).ToList();

    static void Step(optim.Optimizer opt, Sequential net, Tensor x, bool replaceGradient = false)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        net.forward(x).pow(2).mean().backward();
        var p = net.parameters().Last();
        if (replaceGradient) p.grad = p.grad! * 3;   // a new tensor, not an in-place change
        else nn.utils.clip_grad_norm_(net.parameters(), 0.05);
        opt.step();
    }

    static void AssertSame(IList<Parameter> expected, IList<Parameter> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].allclose(actual[i], rtol: 1e-6, atol: 1e-7), $"parameter {i} differs");
    }

    [Fact]
    public void MatchesTorchSharpAdamWIncludingParametersWithoutGradient()
    {
        using var scope = NewDisposeScope();
        var twins = Twins();
        var (a, b) = (twins[0], twins[1]);
        var pa = Params(a);
        var pb = Params(b);
        var unusedBefore = b.Unused.clone();
        var firstBefore = pb[0].clone();
        using var stock = optim.AdamW(pa, 1e-2, weight_decay: 0.1);
        using var flat = new ContiguousAdamW(pb, 1e-2, weight_decay: 0.1);
        var g = new Generator(3);
        for (int step = 0; step < 5; step++)
        {
            var x = randn(new long[] { 6, 5 }, generator: g);
            Step(stock, a.Net, x);
            Step(flat, b.Net, x);
        }
        AssertSame(pa, pb);
        // AdamW skips a parameter that never got a gradient (no weight decay either).
        Assert.True(b.Unused.eq(unusedBefore).all().item<bool>());
        Assert.False(pb[0].eq(firstBefore).all().item<bool>());
    }

    [Fact]
    public void FastPathMatchesAndKeepsTheStateDictLayout()
    {
        using var scope = NewDisposeScope();
        var twins = Twins();
        var (a, b) = (twins[0], twins[1]);
        var pa = a.Net.parameters().ToList();
        var pb = b.Net.parameters().ToList();
        using var stock = optim.AdamW(pa, 1e-2, weight_decay: 0.01);
        using var flat = new ContiguousAdamW(pb, 1e-2, weight_decay: 0.01);
        var g = new Generator(5);
        for (int step = 0; step < 4; step++)
        {
            var x = randn(new long[] { 6, 5 }, generator: g);
            Step(stock, a.Net, x);
            Step(flat, b.Net, x);
        }
        AssertSame(pa, pb);
        Assert.Equal(a.Net.state_dict().Keys, b.Net.state_dict().Keys);
        // The one-pass path ran: parameters and gradients are consecutive views of the flat buffers.
        Assert.Equal(pb[0].numel(), pb[1].storage_offset());
        Assert.Equal(1 + pb[0].numel(), pb[1].grad!.storage_offset());

        var sa = stock.state_dict();
        var sb = flat.state_dict();
        Assert.Equal(sa.State.Count, sb.State.Count);
        for (int i = 0; i < sa.State.Count; i++)
        {
            var (ea, eb) = ((AdamW.State)sa.State[i], (AdamW.State)sb.State[i]);
            Assert.Equal(ea.step, eb.step);
            Assert.Equal(ea.exp_avg.shape, eb.exp_avg.shape);
            Assert.True(ea.exp_avg.allclose(eb.exp_avg, rtol: 1e-6, atol: 1e-8));
            Assert.True(ea.exp_avg_sq.allclose(eb.exp_avg_sq, rtol: 1e-6, atol: 1e-10));
        }

        // Loading another optimizer's state keeps the one-pass update working on that state.
        flat.load_state_dict(stock.state_dict());
        var x2 = randn(new long[] { 6, 5 }, generator: g);
        Step(stock, a.Net, x2);
        Step(flat, b.Net, x2);
        AssertSame(pa, pb);

        // A gradient replaced by a new tensor between backward and step is the one used.
        Step(stock, a.Net, x2, replaceGradient: true);
        Step(flat, b.Net, x2, replaceGradient: true);
        AssertSame(pa, pb);
        Step(stock, a.Net, x2);
        Step(flat, b.Net, x2);
        AssertSame(pa, pb);
    }

    [Fact]
    public void RejectsMixedDtypes()
    {
        using var scope = NewDisposeScope();
        var ps = new[] { nn.Parameter(zeros(2)), nn.Parameter(zeros(new long[] { 2 }, ScalarType.Float64)) };
        Assert.Throws<ArgumentException>(() => new ContiguousAdamW(ps));
    }
}
