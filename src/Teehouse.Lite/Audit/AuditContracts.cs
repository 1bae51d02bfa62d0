namespace Teehouse.Lite.Audit;

/// <summary>One row of <c>audit_log</c>, as written and as read back (Dapper maps the snake_case columns).</summary>
public sealed class AuditRecord
{
    public long Id { get; set; }
    public string At { get; set; } = "";
    public long? UserId { get; set; }
    public string Username { get; set; } = "";
    public string Action { get; set; } = "";
    public string? Target { get; set; }
    public int Status { get; set; }
    public string Result { get; set; } = "";
    public string ClientAddress { get; set; } = "";
    public string? Detail { get; set; }
}

/// <summary>Who the audit log calls callers it could not identify, and the CLI's client address.</summary>
public static class AuditActors
{
    public const string Anonymous = "anonymous";
    public const string Local = "local";
    public const string Ok = "ok";
    public const string Error = "error";

    public static string Cli(string unixUser) => $"cli:{unixUser}";
}

/// <summary>One entry of <c>GET /api/v1/audit</c> (and of <c>teehouse audit --json</c>).</summary>
public sealed record AuditEntry(
    long Id, string At, long? UserId, string Username, string Action, string? Target, int Status, string Result,
    string ClientAddress, string? Detail)
{
    public static AuditEntry From(AuditRecord r) =>
        new(r.Id, r.At, r.UserId, r.Username, r.Action, r.Target, r.Status, r.Result, r.ClientAddress, r.Detail);
}

/// <summary>A page of the audit log, newest first, in the shape of the other paged routes.</summary>
public sealed record AuditPage(List<AuditEntry> Items, long Total, int Page, int PageSize, long Pages);
