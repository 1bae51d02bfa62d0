using System.Text.RegularExpressions;

namespace Teehouse.Lite.Tests.Architecture;

/// <summary>One source file's reference to another folder.</summary>
public sealed record FolderReference(string From, string To, string File);

/// <summary>
/// Which top-level folder of src/Teehouse.Lite uses which. A file belongs to its top-level folder ("(root)" when it
/// sits directly in the project, as Program.cs does). A reference is a `Teehouse.Lite.X` name anywhere in code (using
/// directives, fully qualified names) or a partially qualified `X.` name, which inside namespace Teehouse.Lite.*
/// resolves to the folder's namespace too; comments and literals do not count. scripts/deps.sh applies the same rules.
/// </summary>
public sealed partial class FeatureGraph
{
    public const string Root = "(root)";

    private FeatureGraph(IReadOnlyList<string> folders, IReadOnlyList<FolderReference> references)
    {
        Folders = folders;
        References = references;
        Edges = folders.ToDictionary(f => f, f => (IReadOnlySet<string>)references.Where(r => r.From == f).Select(r => r.To).ToHashSet());
    }

    public IReadOnlyList<string> Folders { get; }
    public IReadOnlyList<FolderReference> References { get; }
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Edges { get; }

    public static string SourceRoot { get; } = Path.Combine(RepoRoot.Path, "src", "Teehouse.Lite");

    public static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => Relative(f).Split('/')[0] is not ("bin" or "obj"))
            .Order(StringComparer.Ordinal);

    public static string Relative(string file) => Path.GetRelativePath(SourceRoot, file).Replace('\\', '/');

    public static string FolderOf(string file)
    {
        var parts = Relative(file).Split('/');
        return parts.Length == 1 ? Root : parts[0];
    }

    public static FeatureGraph Load()
    {
        var files = SourceFiles().ToList();
        var folders = files.Select(FolderOf).Distinct().Order(StringComparer.Ordinal).ToList();
        var names = folders.Where(f => f != Root).ToHashSet();
        var partial = new Regex(@"(?<![\w.])(" + string.Join('|', names.Select(Regex.Escape)) + @")\.");
        var references = new List<FolderReference>();
        foreach (var file in files)
        {
            var from = FolderOf(file);
            var code = Namespace().Replace(CSharpSource.StripCommentsAndLiterals(File.ReadAllText(file)), " ");
            var used = Qualified().Matches(code).Select(m => m.Groups[1].Value)
                .Concat(partial.Matches(code).Select(m => m.Groups[1].Value))
                .Where(to => to != from && names.Contains(to))
                .Distinct();
            references.AddRange(used.Select(to => new FolderReference(from, to, Relative(file))));
        }
        return new FeatureGraph(folders, references);
    }

    /// <summary>For every edge on a cycle, the shortest cycle through it, each cycle once (e.g. "A -> B -> A").</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>();
        foreach (var (from, tos) in Edges.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            foreach (var to in tos.Order(StringComparer.Ordinal))
            {
                if (ShortestPath(to, from) is not { } back) continue;
                var cycle = new List<string> { from };
                cycle.AddRange(back);
                var nodes = cycle.Distinct().ToList();
                var key = string.Join(' ', RotateToSmallest(nodes));
                if (seen.Add(key)) cycles.Add(cycle);
            }
        }
        // Shortest first: a two-folder cycle is the plainest to read and often the one to break.
        return cycles.OrderBy(c => c.Count).ThenBy(c => string.Join(' ', c), StringComparer.Ordinal).ToList();
    }

    private List<string>? ShortestPath(string from, string to)
    {
        var previous = new Dictionary<string, string?> { [from] = null };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var node))
        {
            if (node == to)
            {
                var path = new List<string>();
                for (string? n = to; n is not null; n = previous[n]) path.Insert(0, n);
                return path;
            }
            foreach (var next in Edges.GetValueOrDefault(node, new HashSet<string>()).Order(StringComparer.Ordinal))
            {
                if (previous.TryAdd(next, node)) queue.Enqueue(next);
            }
        }
        return null;
    }

    private static IEnumerable<string> RotateToSmallest(List<string> nodes)
    {
        var start = nodes.IndexOf(nodes.Min(StringComparer.Ordinal)!);
        return nodes.Skip(start).Concat(nodes.Take(start));
    }

    /// <summary>"Teepods -> Cvms (Teepods/TeepodsModule.cs, …)": where to look to break an edge.</summary>
    public string Evidence(string from, string to)
    {
        var files = References.Where(r => r.From == from && r.To == to).Select(r => r.File).ToList();
        var shown = string.Join(", ", files.Take(3)) + (files.Count > 3 ? $", +{files.Count - 3} more" : "");
        return $"{from} -> {to} ({shown})";
    }

    [GeneratedRegex(@"(?<![\w.])(?:global::)?Teehouse\.Lite\.(\w+)")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"\bnamespace\s+[\w.]+")]
    private static partial Regex Namespace();
}
