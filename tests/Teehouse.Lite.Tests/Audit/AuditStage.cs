using System.Text.Json;
using Microsoft.Data.Sqlite;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Audit;

/// <summary>The integrity stage (a simulated teepod, user dana, deploy helpers) plus an admin client and ways to read the audit log.</summary>
public abstract class AuditStage : Integrity.IntegrityStage, IAsyncLifetime
{
    protected HttpClient _admin = null!;
    protected long _adminId;
    protected long _danaId;

    public new async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _admin = await AdminAsync();
        _adminId = (await new UserStore(_app.Db).FindByNameAsync("admin"))!.Id;
        _danaId = (await new UserStore(_app.Db).FindByNameAsync("dana"))!.Id;
    }

    /// <summary>GET /api/v1/audit?{query} as the admin; asserts 200 and returns the whole page.</summary>
    protected async Task<JsonElement> PageAsync(string query = "")
    {
        var response = await _admin.GetAsync($"/api/v1/audit{(query.Length == 0 ? "" : "?" + query)}", Ct);
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return body;
    }

    protected async Task<List<JsonElement>> ItemsAsync(string query = "") =>
        [.. (await PageAsync(query)).GetProperty("items").EnumerateArray()];

    /// <summary>Straight from the table (call after a GET /api/v1/audit, which flushes the writer's queue): every value of every column of every audit row, as text: what a secret must never be part of.</summary>
    protected async Task<List<string>> EveryCellAsync()
    {
        var cells = new List<string>();
        await using var c = await _app.Db.OpenAsync(Ct);
        await using var command = c.CreateCommand();
        command.CommandText = "SELECT * FROM audit_log";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
            for (var i = 0; i < reader.FieldCount; i++)
                cells.Add(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!);
        return cells;
    }

    /// <summary>Straight from the table: call after a GET /api/v1/audit, which flushes the writer's queue.</summary>
    protected async Task<long> RowCountAsync()
    {
        await using var c = await _app.Db.OpenAsync(Ct);
        await using var command = new SqliteCommand("SELECT COUNT(*) FROM audit_log", c);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
