using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Database;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// Keeps the <see cref="TeepodReadModel"/> of the teepods table as it is now. A read costs one look at
/// <see cref="DbChanges"/>: while the teepods counter stays where the model was built, the model is served as it is;
/// once any connection (this process's, the pinger's, a <c>teehouse</c> command's, an operator's sqlite3) has written
/// the table, the next read rebuilds it, once, while concurrent readers wait for that build instead of each making one.
/// </summary>
public sealed class TeepodReadModels(TeepodStore store, DbChanges changes, TeehouseConfig config) : IDisposable
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private TeepodReadModel? _current;

    public ValueTask<TeepodReadModel> CurrentAsync()
    {
        var version = changes.Current().Teepods;
        var model = Volatile.Read(ref _current);
        return model is not null && model.Version == version ? ValueTask.FromResult(model) : new(RebuildAsync());
    }

    private async Task<TeepodReadModel> RebuildAsync()
    {
        await _rebuild.WaitAsync();
        try
        {
            // Read again under the lock: the build we waited for may already be current. Read before the rows, so a
            // write that lands in between leaves the model filed under an older counter and the next read rebuilds.
            var version = changes.Current().Teepods;
            var previous = _current;
            if (previous is not null && previous.Version == version) return previous;
            var rows = await store.ListAsync(includeDisabled: true);
            var model = TeepodReadModel.Build(version, rows, config.Kms, previous);
            Volatile.Write(ref _current, model);
            return model;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    public void Dispose() => _rebuild.Dispose();
}
