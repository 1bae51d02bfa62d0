namespace Teehouse.Lite.Tests.Architecture;

/// <summary>
/// Feature folders may use Infrastructure and each other, but never in a circle, and Infrastructure uses none of
/// them; only the composition root (Program.cs and Hosting/) sees everything. `scripts/deps.sh` prints the graph.
/// </summary>
public sealed class FeatureDependencyTests
{
    private const string Infrastructure = "Infrastructure";
    private const string Hosting = "Hosting";
    private const int MaxLines = 400;

    private static readonly FeatureGraph Graph = FeatureGraph.Load();

    [Fact]
    public void Infrastructure_depends_on_no_other_folder()
    {
        var uses = Graph.Edges.GetValueOrDefault(Infrastructure, new HashSet<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.True(uses.Count == 0,
            "Infrastructure/ must not use a feature (move the code into the feature, or the composition root into Hosting/):\n  "
            + string.Join("\n  ", uses.Select(to => Graph.Evidence(Infrastructure, to))));
    }

    [Fact]
    public void No_folders_depend_on_each_other_in_a_cycle()
    {
        var cycles = Graph.Cycles();
        Assert.True(cycles.Count == 0,
            $"{cycles.Count} dependency cycle(s) between folders:\n  "
            + string.Join("\n  ", cycles.Select(c => string.Join(" -> ", c)))
            + "\nedges on them:\n  "
            + string.Join("\n  ", cycles.SelectMany(c => c.Zip(c.Skip(1))).Distinct().Order()
                .Select(e => Graph.Evidence(e.First, e.Second))));
    }

    // The commands are the other composition root: `teehouse serve` builds the web app from Hosting/.
    private const string Cli = "Cli";

    [Fact]
    public void Nothing_depends_on_the_composition_root()
    {
        var offenders = Graph.References
            .Where(r => r.To == FeatureGraph.Root || (r.To == Hosting && r.From is not (FeatureGraph.Root or Cli)))
            .Select(r => $"{r.From} -> {r.To} ({r.File})")
            .ToList();
        Assert.True(offenders.Count == 0,
            "only Program.cs and the commands (Cli/: `serve` builds the web app) may use Hosting/, and nothing may use Program.cs:\n  " + string.Join("\n  ", offenders));
    }

    [Fact]
    public void No_source_file_is_longer_than_400_lines()
    {
        var tooLong = FeatureGraph.SourceFiles()
            .Select(f => (File: FeatureGraph.Relative(f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.File} ({f.Lines} lines)")
            .ToList();
        Assert.True(tooLong.Count == 0, $"files over {MaxLines} lines; split them by responsibility:\n  " + string.Join("\n  ", tooLong));
    }

    [Fact]
    public void The_graph_sees_every_folder_and_some_references()
    {
        // Guards the other tests against passing because nothing was read.
        Assert.Contains(Infrastructure, Graph.Folders);
        Assert.Contains(FeatureGraph.Root, Graph.Folders);
        Assert.Contains("Infrastructure", Graph.Edges["Cli"]);
    }

    [Fact]
    public async Task The_deps_script_prints_the_graph_these_tests_check()
    {
        var script = Path.Combine(RepoRoot.Path, "scripts", "deps.sh");
        var (code, output, error) = await Packaging.ChildProcess.RunAsync("bash", RepoRoot.Path, TestContext.Current.CancellationToken, script);
        Assert.True(code == 0, error);
        var expected = Graph.Folders.Select(f => $"{f} -> {string.Join(' ', Graph.Edges[f].Order(StringComparer.Ordinal))}".TrimEnd());
        Assert.Equal(string.Join('\n', expected), output.TrimEnd());
    }

    [Fact]
    public void Comments_and_literals_are_not_references_but_interpolation_holes_are()
    {
        var code = CSharpSource.StripCommentsAndLiterals(""""
            /// <see cref="Teehouse.Lite.Kms.X"/>
            // Teehouse.Lite.Apps
            /* Teehouse.Lite.Deploy */ var a = "Teehouse.Lite.Users"; var b = @"Teehouse.Lite.Auth ""q""";
            var c = '"'; var d = $"{Teehouse.Lite.Cvms.Ids.Next("Teehouse.Lite.Health")} Teehouse.Lite.Upgrades";
            var e = $$"""{ Teehouse.Lite.Apps } {{Teehouse.Lite.Teepods.T}}""";
            """");
        Assert.DoesNotContain("Kms", code);
        Assert.DoesNotContain("Apps", code);
        Assert.DoesNotContain("Deploy", code);
        Assert.DoesNotContain("Users", code);
        Assert.DoesNotContain("Auth", code);
        Assert.DoesNotContain("Health", code);
        Assert.DoesNotContain("Upgrades", code);
        Assert.Contains("Teehouse.Lite.Cvms.Ids.Next(", code);
        Assert.Contains("Teehouse.Lite.Teepods.T", code);
    }
}
