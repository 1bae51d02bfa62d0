using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Crypto;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Kms;

public enum KmsPinSource
{
    /// <summary><c>k256_pubkey</c> of the KMS's <c>[[kms]]</c> entry: always wins.</summary>
    Config,

    /// <summary>Read from the KMS's own GetMeta the first time it was needed, and kept in kms_pins.</summary>
    FirstUse,
}

/// <summary>The k256 key a KMS's env-encryption keys must be signed by (lowercase compressed hex) and where it came from.</summary>
public sealed record KmsPin(string K256Pubkey, KmsPinSource Source, string? LearnedAt = null, string? LearnedFrom = null);

/// <summary>The pin, or why there is none: <see cref="FullReason"/> for admins and logs, <see cref="PublicReason"/> for anyone.</summary>
public sealed record PinLookup(KmsPin? Pin, string FullReason = "", string PublicReason = "");

/// <summary>
/// Which k256 key each KMS signs with. A <c>k256_pubkey</c> in <c>[[kms]]</c> is the pin. Otherwise the KMS is pinned on
/// first use: the first time its key is needed, its own GetMeta <c>k256_pubkey</c> is recorded (by URL, so KMSs known
/// only from teepods are pinned the same way) and from then on is the pin; nothing here ever replaces a recorded pin.
/// GetMeta is asked of the KMS directly and never of a relay: a relaying vmm could name any key it likes.
/// </summary>
public sealed class KmsPins(TeehouseConfig config, KmsPinStore store, DstackClientFactory clients, ILogger<KmsPins> logger)
{
    /// <summary>The configured pin of <paramref name="kms"/>, or of another <c>[[kms]]</c> entry at the same URL.</summary>
    public string? ConfiguredFor(KmsConfig kms) =>
        NullIfBlank(kms.K256Pubkey)
        ?? config.Kms.Where(k => TeepodProbe.SameUrl(k.Url.Trim(), kms.Url.Trim())).Select(k => NullIfBlank(k.K256Pubkey)).FirstOrDefault(p => p is not null);

    /// <param name="context">Why the key is needed, recorded with a pin learnt now (e.g. "a key request for app …").</param>
    public async Task<PinLookup> ResolveAsync(KmsConfig kms, string context, CancellationToken ct)
    {
        var label = $"KMS '{kms.Id}'";
        if (ConfiguredFor(kms) is { } configured)
        {
            // Config is validated at load; this guards configurations built in code.
            return K256.TryParseCompressed(configured, out var pin)
                ? new PinLookup(new KmsPin(pin, KmsPinSource.Config))
                : new PinLookup(null, $"its configured k256_pubkey '{configured}' is not a compressed secp256k1 key",
                    $"{label} has an unusable k256_pubkey in the configuration");
        }

        if (await store.FindAsync(kms.Url) is { } row) return new PinLookup(FromRow(row));

        KmsMeta meta;
        try
        {
            meta = await clients.Kms(kms.Url, label).GetMetaAsync(ct);
        }
        catch (DstackException e)
        {
            return new PinLookup(null, $"it was never pinned and GetMeta failed: {e.FullDetail}", $"it was never pinned and GetMeta failed: {e.PublicDetail}");
        }
        catch (ArgumentException e)
        {
            return new PinLookup(null, $"its url {kms.Url} is unusable: {e.Message}", $"{label} is misconfigured");
        }

        if (!K256.TryParseCompressed(meta.K256Pubkey, out var learnt))
            return new PinLookup(null, $"it was never pinned and its GetMeta reports no usable k256_pubkey ('{meta.K256Pubkey}')",
                $"it was never pinned and {label} reports no usable k256_pubkey");

        var from = $"GetMeta of {kms.Url} ({context})";
        var (pinned, inserted) = await store.PinIfUnpinnedAsync(kms.Url, learnt, from);
        if (inserted)
            logger.LogInformation("KMS {Kms} ({Url}) pinned on first use: its k256 key is {K256}", kms.Id, kms.Url, learnt);
        else if (pinned.K256Pubkey != learnt)
        {
            // Someone else pinned it between our read and our write: theirs stands, and this GetMeta contradicts it.
            await MismatchAsync(kms, FromRow(pinned), learnt, $"GetMeta of {kms.Url}");
        }
        return new PinLookup(FromRow(pinned));
    }

    /// <summary>A signer that is not the pin: a loud warning, and (for a learnt pin) a note for the admin's view.</summary>
    public async Task MismatchAsync(KmsConfig kms, KmsPin pin, string signer, string seenFrom)
    {
        logger.LogWarning(
            "KMS {Kms} ({Url}): {SeenFrom} presented k256 key {Signer}, but the pinned key is {Pin} ({Source}); refused. "
            + "Either something between Teehouse and the KMS swapped the key, or the KMS's root key changed; if the KMS "
            + "was replaced on purpose, set k256_pubkey in its [[kms]] entry (or delete its kms_pins row to re-pin)",
            kms.Id, kms.Url, seenFrom, signer, pin.K256Pubkey, pin.Source);
        if (pin.Source == KmsPinSource.FirstUse) await store.RecordMismatchAsync(kms.Url, signer, seenFrom);
    }

    private static KmsPin FromRow(KmsPinRecord row) => new(row.K256Pubkey, KmsPinSource.FirstUse, row.LearnedAt, row.LearnedFrom);

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
