using System.Collections.Concurrent;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Auth;

/// <summary>
/// Who holds each active token, kept in memory so an authenticated request reads no table. The whole map belongs to
/// one value of the auth counter (tokens and users, see <see cref="DbChanges"/>); a revocation, a new role or a deleted
/// user moves the counter, in this process or another, and the next request starts from an empty map.
/// </summary>
public sealed class TokenCache(TokenStore tokens, DbChanges changes)
{
    // Only tokens that exist are kept, so the map is bounded by the tokens issued; the cap guards against surprises.
    private const int MaxEntries = 10_000;

    private Generation _generation = new(long.MinValue);

    public async Task<UserRecord?> FindUserAsync(string token)
    {
        var hash = ApiTokens.Hash(token);
        // The version is read before the table: an entry is filed under a counter no newer than the data it holds.
        var version = changes.Current();
        var generation = Volatile.Read(ref _generation);
        if (generation.Auth != version.Auth)
        {
            var fresh = new Generation(version.Auth);
            generation = Interlocked.CompareExchange(ref _generation, fresh, generation) == generation ? fresh : Volatile.Read(ref _generation);
        }

        if (!generation.Owners.TryGetValue(hash, out var owner))
        {
            owner = await tokens.FindOwnerAsync(hash);
            if (owner is null) return null;
            if (generation.Auth == version.Auth)
            {
                if (generation.Owners.Count >= MaxEntries) generation.Owners.Clear();
                generation.Owners[hash] = owner;
            }
        }
        await tokens.TouchAsync(owner.TokenId);
        return owner.ToUser();
    }

    private sealed class Generation(long auth)
    {
        public long Auth { get; } = auth;
        public ConcurrentDictionary<string, TokenOwner> Owners { get; } = new(StringComparer.Ordinal);
    }
}
