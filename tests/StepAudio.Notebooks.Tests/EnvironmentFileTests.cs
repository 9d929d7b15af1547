using YamlDotNet.RepresentationModel;

namespace StepAudio.Notebooks.Tests;

/// <summary>
/// environment.yml cannot be tried here (no conda channel is reachable), so this checks what can be: it parses as a
/// conda environment and names what the notebooks need.
/// </summary>
public sealed class EnvironmentFileTests
{
    [Fact]
    public void Environment_yml_parses_and_lists_the_notebook_tools()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepoPaths.Root, "environment.yml")))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents.Single().RootNode;
        Assert.Equal("stepaudio-notebooks", root["name"].ToString());
        Assert.NotEmpty((YamlSequenceNode)root["channels"]);
        var dependencies = ((YamlSequenceNode)root["dependencies"]).Children.Select(d => d.ToString().Split('=')[0]).ToList();
        foreach (var needed in new[] { "dotnet-sdk", "jupyterlab", "nbconvert" })
            Assert.Contains(needed, dependencies);
    }
}
