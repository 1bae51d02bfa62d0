namespace Teehouse.Lite.Pending;

/// <summary>What a pending operation prepares; each kind is committed by its own route.</summary>
public static class PendingKind
{
    /// <summary><c>POST /cvms/provision</c>, committed by <c>POST /cvms</c> (found by user, app id and compose hash).</summary>
    public const string Deploy = "deploy";

    /// <summary><c>POST /apps/{id}/instances</c> with <c>X-Prepare-Only</c>, committed with its commit token.</summary>
    public const string Instance = "instance";

    /// <summary><c>POST /cvms/{id}/compose_file/provision</c>, committed by <c>PATCH /cvms/{id}/compose_file</c>.</summary>
    public const string ComposeUpdate = "compose_update";

    /// <summary><c>PATCH /cvms/{id}</c> with <c>X-Prepare-Only</c>, committed with its token or by compose hash.</summary>
    public const string Patch = "patch";
}

/// <summary>Where a pending operation is in its life: prepared, claimed by one commit, or done.</summary>
public static class PendingState
{
    public const string Pending = "pending";
    public const string Committing = "committing";
    public const string Done = "done";
}

/// <summary>
/// A row of pending_operations: something prepared now and committed once later, within its lifetime. The plan itself
/// is the feature's own JSON (<see cref="Payload"/>); this table only knows who, what for, until when, and whether a
/// commit claimed it.
/// </summary>
public sealed class PendingOperation
{
    public long Id { get; set; }
    public string Kind { get; set; } = "";
    public string LookupKey { get; set; } = "";
    public string? TokenHash { get; set; }
    public long UserId { get; set; }
    public string AppId { get; set; } = "";
    public long? CvmId { get; set; }
    public long? TeepodId { get; set; }
    public string ComposeHash { get; set; } = "";
    public string Payload { get; set; } = "{}";
    public long Vcpu { get; set; }
    public long Memory { get; set; }
    public long DiskSize { get; set; }
    public string CreatedAt { get; set; } = "";
    public string ExpiresAt { get; set; } = "";
    public string State { get; set; } = PendingState.Pending;
    public string? ClaimOwner { get; set; }
    public string? ClaimedAt { get; set; }
    public string? TransactionHash { get; set; }
    public long? ResultCvmId { get; set; }
    public string? DoneAt { get; set; }

    public bool IsExpired(string now) => string.CompareOrdinal(ExpiresAt, now) < 0;
}
