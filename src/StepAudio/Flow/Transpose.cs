using static TorchSharp.torch;

namespace StepAudio.Flow;

/// <summary>A parameter-free module swapping two axes (decoder_dit.py <c>Transpose</c>), kept so Sequential indices match.</summary>
public sealed class Transpose : nn.Module<Tensor, Tensor>
{
    readonly long dim0, dim1;

    public Transpose(long dim0, long dim1) : base(nameof(Transpose))
    {
        this.dim0 = dim0;
        this.dim1 = dim1;
    }

    public override Tensor forward(Tensor x) => x.transpose(dim0, dim1);
}
