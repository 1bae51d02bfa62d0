using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Teehouse.Lite.Tests.Metrics;

/// <summary>One sample line: <c>name{labels} value</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? this[string label] => Labels.GetValueOrDefault(label);
}

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4): every line is <c># HELP</c>, <c># TYPE</c> or a
/// sample; a family is typed once, before its samples; sample names belong to their family (<c>_bucket</c>,
/// <c>_sum</c>, <c>_count</c> for histograms); no series appears twice. Anything else throws, naming the line.
/// </summary>
public sealed partial class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private PrometheusText(Dictionary<string, string> types, Dictionary<string, string> help, List<PrometheusSample> samples)
    {
        TypeOf = types;
        HelpOf = help;
        Samples = samples;
    }

    public IReadOnlyDictionary<string, string> TypeOf { get; }
    public IReadOnlyDictionary<string, string> HelpOf { get; }
    public IReadOnlyList<PrometheusSample> Samples { get; }

    public IEnumerable<PrometheusSample> Named(string name) => Samples.Where(s => s.Name == name);

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var series = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        if (lines[^1].Length != 0) throw new FormatException("the exposition does not end with a newline");
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1} '{line}'";
            if (line.Length == 0) continue;
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var (name, rest) = SplitName(line["# HELP ".Length..], where);
                if (!help.TryAdd(name, rest)) throw new FormatException($"{where}: second HELP for {name}");
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var (name, type) = SplitName(line["# TYPE ".Length..], where);
                if (!Types.Contains(type)) throw new FormatException($"{where}: unknown type '{type}'");
                if (samples.Any(s => FamilyOf(s.Name, types) == name)) throw new FormatException($"{where}: TYPE after samples");
                if (!types.TryAdd(name, type)) throw new FormatException($"{where}: second TYPE for {name}");
            }
            else if (line.StartsWith('#'))
            {
                throw new FormatException($"{where}: a comment that is neither HELP nor TYPE");
            }
            else
            {
                var sample = ParseSample(line, where);
                var family = FamilyOf(sample.Name, types) ?? throw new FormatException($"{where}: sample of an untyped family");
                if (types[family] == "histogram" && sample.Name.EndsWith("_bucket", StringComparison.Ordinal) && !sample.Labels.ContainsKey("le"))
                    throw new FormatException($"{where}: a bucket without le");
                var key = sample.Name + "{" + string.Join(',', sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
                if (!series.Add(key)) throw new FormatException($"{where}: series {key} appears twice");
                samples.Add(sample);
            }
        }
        return new PrometheusText(types, help, samples);
    }

    /// <summary>The family a sample name belongs to: itself, or a histogram/summary whose suffix it carries.</summary>
    private static string? FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name)) return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count", "_total", "_created" })
        {
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var family = name[..^suffix.Length];
            if (types.TryGetValue(family, out var type)
                && (type is "histogram" or "summary" ? suffix is "_bucket" or "_sum" or "_count" : suffix == "_total"))
                return family;
        }
        return null;
    }

    private static (string Name, string Tail) SplitName(string text, string where)
    {
        var space = text.IndexOf(' ');
        var name = space < 0 ? text : text[..space];
        if (!MetricName().IsMatch(name)) throw new FormatException($"{where}: '{name}' is not a metric name");
        return (name, space < 0 ? "" : text[(space + 1)..]);
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        var nameEnd = 0;
        while (nameEnd < line.Length && line[nameEnd] is not ('{' or ' ')) nameEnd++;
        var name = line[..nameEnd];
        if (!MetricName().IsMatch(name)) throw new FormatException($"{where}: '{name}' is not a metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = nameEnd;
        if (at < line.Length && line[at] == '{')
        {
            at++;
            while (line[at] != '}')
            {
                var eq = line.IndexOf('=', at);
                if (eq < 0) throw new FormatException($"{where}: label without '='");
                var label = line[at..eq];
                if (!LabelName().IsMatch(label)) throw new FormatException($"{where}: '{label}' is not a label name");
                if (eq + 1 >= line.Length || line[eq + 1] != '"') throw new FormatException($"{where}: label value not quoted");
                var (value, next) = ReadQuoted(line, eq + 2, where);
                if (!labels.TryAdd(label, value)) throw new FormatException($"{where}: label {label} twice");
                at = next;
                if (at < line.Length && line[at] == ',') at++;
                else if (at >= line.Length || line[at] != '}') throw new FormatException($"{where}: expected ',' or '}}' after a label");
            }
            at++;
        }
        if (at >= line.Length || line[at] != ' ') throw new FormatException($"{where}: expected a space before the value");
        var parts = line[(at + 1)..].Split(' ');
        if (parts.Length is < 1 or > 2) throw new FormatException($"{where}: expected 'value [timestamp]'");
        if (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"{where}: '{parts[1]}' is not a timestamp");
        return new PrometheusSample(name, labels, ParseValue(parts[0], where));
    }

    private static (string Value, int Next) ReadQuoted(string line, int at, string where)
    {
        var value = new StringBuilder();
        for (var i = at; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"') return (value.ToString(), i + 1);
            if (c != '\\') { value.Append(c); continue; }
            if (++i >= line.Length) break;
            value.Append(line[i] switch
            {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                _ => throw new FormatException($"{where}: bad escape '\\{line[i]}'"),
            });
        }
        throw new FormatException($"{where}: unterminated label value");
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when FloatValue().IsMatch(text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{where}: '{text}' is not a sample value"),
    };

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")]
    private static partial Regex FloatValue();
}
