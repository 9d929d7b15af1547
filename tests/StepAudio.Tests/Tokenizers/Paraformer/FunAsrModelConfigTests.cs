using StepAudio.Tokenizers.Paraformer;

namespace StepAudio.Tests.Tokenizers.Paraformer;

/// <summary>Reading FunASR's config.yaml: the encoder_conf / frontend_conf values and the errors for bad ones.</summary>
public sealed class FunAsrModelConfigTests
{
    const string Source = "/models/paraformer/config.yaml";

    [Fact]
    public void TinyConfigGivesTheFixtureSizes()
    {
        var c = FunAsrModelConfig.Parse(TinyParaformerFiles.ConfigYaml(), Source);
        Assert.Equal(new ParaformerEncoderConfig
        {
            InputSize = 560, OutputSize = 32, AttentionHeads = 4, LinearUnits = 64, NumBlocks = 3, KernelSize = 11,
            SanmShift = 0, NormalizeBefore = true,
        }, c.Encoder);
        Assert.Equal((7, 6, 80, "hamming"), (c.FrontEnd.LfrM, c.FrontEnd.LfrN, c.FrontEnd.Fbank.NumMelBins, c.FrontEnd.Fbank.WindowType));
        // config.yaml says dither 1.0; the port is deterministic.
        Assert.Equal(0, c.FrontEnd.Fbank.Dither);
    }

    [Fact]
    public void RealSizeEncoderConfigIsRead()
    {
        var yaml = TinyParaformerFiles.ConfigYaml().Replace("output_size: 32", "output_size: 512")
            .Replace("linear_units: 64", "linear_units: 2048").Replace("num_blocks: 3", "num_blocks: 50");
        var c = FunAsrModelConfig.Parse(yaml, Source).Encoder;
        Assert.Equal((560, 512, 2048, 50), (c.InputSize, c.OutputSize, c.LinearUnits, c.NumBlocks));
    }

    [Theory]
    [InlineData("output_size: 32", "output_size: big", "encoder_conf.output_size")]
    [InlineData("attention_heads: 4", "attention_heads: 5", "encoder_conf.attention_heads")]
    [InlineData("input_layer: pe_online", "input_layer: conv2d", "encoder_conf.input_layer")]
    [InlineData("selfattention_layer_type: sanm", "selfattention_layer_type: selfattn", "encoder_conf.selfattention_layer_type")]
    [InlineData("normalize_before: true", "normalize_before: 3", "encoder_conf.normalize_before")]
    [InlineData("encoder: SANMEncoderChunkOpt", "encoder: SANMEncoder", "encoder")]
    [InlineData("frontend: WavFrontendOnline", "frontend: WavFrontend", "frontend")]
    [InlineData("lfr_m: 7", "lfr_m: seven", "frontend_conf.lfr_m")]
    [InlineData("window: hamming", "window: kaiser", "frontend_conf")]
    [InlineData("encoder_conf:", "encoder_confx:", "encoder_conf")]
    public void BadValueNamesTheKey(string from, string to, string field)
    {
        var yaml = TinyParaformerFiles.ConfigYaml();
        Assert.Contains(from, yaml);
        var e = Assert.Throws<InputException>(() => FunAsrModelConfig.Parse(yaml.Replace(from, to), Source));
        Assert.Equal(Source, e.File);
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void InputSizeThatDisagreesWithTheFrontEndIsAnError()
    {
        var yaml = TinyParaformerFiles.ConfigYaml().Replace("encoder_conf:\n", "encoder_conf:\n    input_size: 80\n");
        var e = Assert.Throws<InputException>(() => FunAsrModelConfig.Parse(yaml, Source));
        Assert.Equal("encoder_conf.input_size", e.Field);
    }

    [Fact]
    public void InvalidYamlGivesTheLine()
    {
        var e = Assert.Throws<InputException>(() => FunAsrModelConfig.Parse("encoder: a\n  frontend: x: y\n", Source));
        Assert.Equal(Source, e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal(Source, Assert.Throws<InputException>(() => FunAsrModelConfig.Parse("encoder: [\nfrontend: x\n", Source)).File);
    }
}
