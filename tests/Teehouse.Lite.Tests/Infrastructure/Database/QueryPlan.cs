using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Tests.Infrastructure.Database;

/// <summary>EXPLAIN QUERY PLAN of a statement as the store runs it, every <c>@name</c> bound to a value of the caller's.</summary>
public static partial class QueryPlan
{
    /// <summary>The plan's lines, each indented by its depth (two spaces a level).</summary>
    public static List<string> Of(SqliteConnection connection, string sql, Func<string, object> valueOf)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in Parameter().Matches(sql).Select(m => m.Value).Distinct(StringComparer.Ordinal))
            command.Parameters.AddWithValue(name, valueOf(name));
        var depth = new Dictionary<long, int> { [0] = -1 };
        var lines = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var level = depth.GetValueOrDefault(reader.GetInt64(1), -1) + 1;
            depth[reader.GetInt64(0)] = level;
            lines.Add(new string(' ', 2 * level) + reader.GetString(3));
        }
        return lines;
    }

    [GeneratedRegex("@[A-Za-z]+")]
    private static partial Regex Parameter();
}
