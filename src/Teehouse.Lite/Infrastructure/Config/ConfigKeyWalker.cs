using Tomlyn.Syntax;

namespace Teehouse.Lite.Infrastructure.Config;

/// <summary>A key or table found in the TOML document, with its 1-based line.</summary>
public sealed record ConfigKey(string Path, string Schema, int Line, bool IsTable);

/// <summary>Lists every key and table of a TOML document with its full dotted path, for the unknown-key check.</summary>
public static class ConfigKeyWalker
{
    public static List<ConfigKey> Walk(DocumentSyntax document)
    {
        var found = new List<ConfigKey>();
        foreach (var kv in document.KeyValues) VisitKeyValue([], kv, found);
        foreach (var table in document.Tables)
        {
            var path = KeyParts(table.Name);
            if (table is TableArraySyntax) path[^1] += "[]";
            AddTablePrefixes(path, Line(table), found);
            foreach (var item in table.Items)
            {
                if (item is KeyValueSyntax kv) VisitKeyValue(path, kv, found);
            }
        }
        return found;
    }

    private static void VisitKeyValue(List<string> prefix, KeyValueSyntax kv, List<ConfigKey> found)
    {
        var path = new List<string>(prefix);
        path.AddRange(KeyParts(kv.Key));
        // Dotted keys like `tiers.PRO.max_vcpu = 2` imply the tables on the way.
        if (path.Count > prefix.Count + 1) AddTablePrefixes(path.GetRange(0, path.Count - 1), Line(kv), found);

        switch (kv.Value)
        {
            case InlineTableSyntax inline:
                Add(path, Line(kv), isTable: true, found);
                foreach (var item in inline.Items)
                {
                    if (item.KeyValue is { } inner) VisitKeyValue(path, inner, found);
                }
                break;
            case ArraySyntax array when array.Items.ChildrenCount > 0 && array.Items.All(i => i.Value is InlineTableSyntax):
                var arrayPath = new List<string>(path);
                arrayPath[^1] += "[]";
                Add(arrayPath, Line(kv), isTable: true, found);
                foreach (var element in array.Items)
                {
                    foreach (var item in ((InlineTableSyntax)element.Value!).Items)
                    {
                        if (item.KeyValue is { } inner) VisitKeyValue(arrayPath, inner, found);
                    }
                }
                break;
            case ArraySyntax when ConfigSchema.Tables.Contains(ConfigSchema.Normalize(path) + "[]"):
                // `kms = []`: an empty array of tables, as the effective config prints it.
                var emptyArray = new List<string>(path);
                emptyArray[^1] += "[]";
                Add(emptyArray, Line(kv), isTable: true, found);
                break;
            default:
                Add(path, Line(kv), isTable: false, found);
                break;
        }
    }

    private static void AddTablePrefixes(List<string> path, int line, List<ConfigKey> found)
    {
        for (var i = 1; i <= path.Count; i++) Add(path.GetRange(0, i), line, isTable: true, found);
    }

    private static void Add(List<string> path, int line, bool isTable, List<ConfigKey> found)
    {
        var display = string.Join('.', path);
        if (isTable && found.Any(k => k.IsTable && k.Path == display)) return;
        found.Add(new ConfigKey(display, ConfigSchema.Normalize(path), line, isTable));
    }

    private static List<string> KeyParts(KeySyntax? key)
    {
        var parts = new List<string>();
        if (key is null) return parts;
        parts.Add(Name(key.Key));
        foreach (var dotted in key.DotKeys) parts.Add(Name(dotted.Key));
        return parts;
    }

    private static string Name(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => "",
    };

    private static int Line(SyntaxNode node) => node.Span.Start.Line + 1;
}
