using Microsoft.Data.Sqlite;

namespace Teehouse.Lite.Cvms;

/// <summary>
/// The writes of one sync batch, each statement prepared once and bound again per VM: an import of 10,000 VMs is
/// 20,000 executions of two statements, not 20,000 statement compilations.
/// </summary>
internal sealed class CvmSyncWriter : IDisposable
{
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _update;
    private readonly SqliteCommand _app;

    public CvmSyncWriter(SqliteConnection connection, SqliteTransaction tx)
    {
        _insert = Command(connection, tx, CvmStore.InsertObservedSql,
            "TeepodId", "VmUuid", "AppId", "InstanceId", "Name", "Status", "Uptime", "StartedAt", "Image", "ImageVersion", "Vcpu",
            "Memory", "DiskSize", "ComposeHash", "KmsEnabled", "UserId", "Listed", "InProgress", "CreatedAt", "UpdatedAt", "LastSyncedAt");
        _update = Command(connection, tx, CvmStore.UpdateObservedSql,
            "Id", "AppId", "InstanceId", "Name", "Status", "Uptime", "StartedAt", "Image", "ImageVersion", "Vcpu", "Memory",
            "DiskSize", "ComposeHash", "KmsEnabled", "UserId", "Listed", "UpdatedAt", "LastSyncedAt", "GoneAt");
        _app = Command(connection, tx, CvmStore.RecordAppSql, "appId", "ownerId", "now");
    }

    public Task InsertAsync(CvmRow r)
    {
        Bind(_insert, r.TeepodId, r.VmUuid, r.AppId, r.InstanceId, r.Name, r.Status, r.Uptime, r.StartedAt, r.Image, r.ImageVersion,
            r.Vcpu, r.Memory, r.DiskSize, r.ComposeHash, r.KmsEnabled, r.UserId, r.Listed, r.InProgress, r.CreatedAt, r.UpdatedAt,
            r.LastSyncedAt);
        return _insert.ExecuteNonQueryAsync();
    }

    public Task UpdateAsync(CvmRow r)
    {
        Bind(_update, r.Id, r.AppId, r.InstanceId, r.Name, r.Status, r.Uptime, r.StartedAt, r.Image, r.ImageVersion, r.Vcpu, r.Memory,
            r.DiskSize, r.ComposeHash, r.KmsEnabled, r.UserId, r.Listed, r.UpdatedAt, r.LastSyncedAt, r.GoneAt);
        return _update.ExecuteNonQueryAsync();
    }

    /// <summary>See <see cref="CvmStore.RecordAppSql"/>.</summary>
    public Task RecordAppAsync(string appId, long? ownerId, string now)
    {
        Bind(_app, appId, ownerId, now);
        return _app.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        _insert.Dispose();
        _update.Dispose();
        _app.Dispose();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter("@" + name, null));
        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    }
}
