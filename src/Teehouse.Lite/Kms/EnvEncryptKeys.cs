using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Kms;

/// <summary>
/// An app's env-encryption public key (X25519) and the KMS's signature over it, as the deploying client needs it to
/// encrypt its environment: only ever one whose signatures verify against the KMS's pinned k256 key (see
/// <see cref="KmsPins"/>), so neither a relaying teepod nor anything on the path can make users encrypt their secrets
/// to a key of its own.
/// <para>
/// Asked of the KMS directly at its url. A KMS is often reachable only from the hosts that use it (its url is e.g.
/// <c>https://localhost:8000</c> on the teepod); so, if the KMS has not answered within a short head start, the same
/// question also goes to the dstack-vmm of every online, enabled teepod whose <c>kms_url</c> is that KMS (the vmm's
/// <c>GetAppEnvEncryptPubKey</c> proxies to its own KMS), all at once. The first answer that verifies wins. The whole
/// request has one deadline, <c>vmm.request_timeout_ms</c>, however many relays there are. When the KMS itself
/// answered with an error (it refused this app) that is the answer, since a vmm would only ask it again.
/// </para>
/// <para>
/// Hex form: lowercase, no <c>0x</c>, exactly as dstack's KMS and vmm answer. The official clients accept it: the SDK's
/// and CLI's <c>encryptEnvVars(envs, public_key)</c> strips an optional <c>0x</c>, and the documented check
/// <c>verifyEnvEncryptPublicKey(Buffer.from(public_key, "hex"), Buffer.from(signature, "hex"), app_id)</c> needs plain
/// hex (<c>Buffer.from("0x…", "hex")</c> would be empty).
/// </para>
/// </summary>
public sealed partial class EnvEncryptKeys(
    KmsPins pins, DstackClientFactory clients, TeepodStore teepods, TeehouseConfig config, ILogger<EnvEncryptKeys> logger)
{
    private const string Method = "GetAppEnvEncryptPubKey";

    /// <summary>How long the KMS is asked alone before the relays join in: a KMS that answers at all answers in milliseconds.</summary>
    private static TimeSpan HeadStart(TimeSpan deadline) => TimeSpan.FromMilliseconds(Math.Min(deadline.TotalMilliseconds / 4, 1000));

    /// <param name="appId">40 lowercase hex characters (see <see cref="Shared.AppIds.TryNormalize"/>).</param>
    /// <exception cref="DstackException">No verified key: the KMS and every relay failed, a signature did not verify
    /// (502), or the KMS's k256 key is unknown (502). Public detail for users, full for admins.</exception>
    public async Task<EnvEncryptPubkeyResponse> GetAsync(KmsConfig kms, string appId, CancellationToken ct)
    {
        var label = $"KMS '{kms.Id}'";
        var deadlineAfter = clients.RequestTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(deadlineAfter);
        var token = deadline.Token;
        var request = new Request(kms, appId, PinAsync(kms, appId, token), deadlineAfter, ct);
        try
        {
            var direct = AttemptAsync(request, new Peer($"{label} ({kms.Url})", label, null), () => clients.Kms(kms.Url, label).GetAppEnvEncryptPubKeyAsync(appId, token));
            await Task.WhenAny(direct, Task.Delay(HeadStart(deadlineAfter), token));
            if (direct.IsCompleted && IsFinal(await direct)) return Result(await direct);

            var attempts = new List<Task<Outcome>> { direct };
            foreach (var teepod in await RelaysAsync(kms))
            {
                var peer = new Peer($"{TeepodClients.Label(teepod.Name)} ({teepod.Endpoint})", TeepodClients.Label(teepod.Name), teepod);
                attempts.Add(AttemptAsync(request, peer, () => clients.VmmFor(teepod).GetAppEnvEncryptPubKeyAsync(appId, token)));
            }

            var pending = attempts.ToList();
            while (pending.Count > 0)
            {
                var finished = await Task.WhenAny(pending);
                pending.Remove(finished);
                var outcome = await finished;
                if (outcome.Key is not null && outcome.Peer.Relay is { } relay)
                    logger.LogInformation("Env-encryption key for app {AppId} of KMS {Kms} relayed by teepod {Teepod}, verified against the KMS's pinned key",
                        appId, kms.Id, relay.Id);
                if (outcome.Key is not null || (finished == direct && IsFinal(outcome))) return Result(outcome);
            }
            throw Failure(request, [.. attempts.Select(a => a.Result)]);
        }
        finally
        {
            await deadline.CancelAsync(); // the relays still asking are no longer needed
        }
    }

    /// <summary>
    /// The key for a CVM of one teepod, asked of that teepod's vmm as before (it proxies to the KMS it hands its CVMs,
    /// so it is the key the CVM will decrypt with) and verified against the pin of that KMS (<paramref name="kmsUrl"/>,
    /// the teepod's <c>kms_url</c>): by its <c>[[kms]]</c> entry when there is one, else by the url alone.
    /// </summary>
    /// <param name="label">How users are told which teepod it was, e.g. <c>teepod 'tdx-1'</c>.</param>
    public async Task<EnvEncryptPubkeyResponse> FromVmmAsync(VmmClient vmm, string label, string? kmsUrl, string appId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(kmsUrl))
            throw new DstackException(DstackFailure.BadResponse,
                $"{label} ({vmm.Endpoint}) announces no KMS url, so the env-encryption key for app {appId} has no KMS key to be verified against",
                $"{label} announces no KMS, so the env-encryption key cannot be verified", Method);
        var kms = config.Kms.FirstOrDefault(k => TeepodProbe.SameUrl(k.Url.Trim(), kmsUrl.Trim()))
                  ?? new KmsConfig { Id = KmsCatalog.IdOf(kmsUrl), Url = kmsUrl.Trim().TrimEnd('/') };
        var deadlineAfter = clients.RequestTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(deadlineAfter);
        var request = new Request(kms, appId, PinAsync(kms, appId, deadline.Token), deadlineAfter, ct);
        try
        {
            var outcome = await AttemptAsync(request, new Peer($"{label} ({vmm.Endpoint})", label, null),
                () => vmm.GetAppEnvEncryptPubKeyAsync(appId, deadline.Token));
            return outcome.Key ?? throw Failure(request, [outcome]);
        }
        finally
        {
            await deadline.CancelAsync(); // a first-use GetMeta still under way is no longer needed
        }
    }

    private async Task<PinLookup> PinAsync(KmsConfig kms, string appId, CancellationToken token)
    {
        try
        {
            return await pins.ResolveAsync(kms, $"a key request for app {appId}", token);
        }
        catch (OperationCanceledException)
        {
            return new PinLookup(null, "it was never pinned and its GetMeta did not answer in time", "it was never pinned and its GetMeta did not answer in time");
        }
    }

    private async Task<List<TeepodRecord>> RelaysAsync(KmsConfig kms) =>
        [.. (await teepods.ListAsync(includeDisabled: false))
            .Where(t => t.Enabled && t.Status == TeepodStatus.Online && t.KmsUrl is { } url && TeepodProbe.SameUrl(url.Trim(), kms.Url.Trim()))];

    /// <summary>One peer asked once: never throws but for the caller's own cancellation.</summary>
    private async Task<Outcome> AttemptAsync(Request request, Peer peer, Func<Task<EnvEncryptPublicKey>> ask)
    {
        EnvEncryptPublicKey answer;
        try
        {
            answer = await ask();
        }
        catch (DstackException e)
        {
            return new Outcome(peer, Error: e);
        }
        catch (ArgumentException e)
        {
            return new Outcome(peer, Error: new DstackException(DstackFailure.BadResponse,
                $"{peer.Full} has an unusable address: {e.Message}", $"{peer.Public} is misconfigured", Method));
        }
        catch (OperationCanceledException) when (!request.Caller.IsCancellationRequested)
        {
            // The request's deadline, not the peer's own call timeout: told the same way.
            return new Outcome(peer, Error: new DstackException(DstackFailure.Timeout,
                $"{peer.Full} did not answer {Method} within {(long)request.Deadline.TotalMilliseconds} ms",
                $"{peer.Public} timed out on {Method}", Method));
        }

        if (Malformed(answer, peer) is { } malformed) return new Outcome(peer, Error: malformed);
        var lookup = await request.Pin;
        if (lookup.Pin is not { } pin) return new Outcome(peer, Unpinned: lookup, Signer: EnvKeyCheck.SignerOf(answer, request.AppId));

        var verdict = EnvKeyCheck.Check(answer, request.AppId, pin.K256Pubkey);
        if (verdict.Verified) return new Outcome(peer, Key: new EnvEncryptPubkeyResponse(answer.PublicKey, answer.Signature));

        var kmsLabel = $"KMS '{request.Kms.Id}'";
        logger.LogWarning("Env-encryption key for app {AppId} from {Peer} refused: {Problem} (KMS {Kms}, pin from {Source})",
            request.AppId, peer.Full, verdict.Problem, request.Kms.Id, pin.Source);
        if (verdict.Signer is { } signer && signer != pin.K256Pubkey)
            await pins.MismatchAsync(request.Kms, pin, signer, $"the env-encryption key for app {request.AppId} from {peer.Full}");
        return new Outcome(peer, Error: new DstackException(DstackFailure.BadResponse,
            $"{peer.Full}: the env-encryption key's signature does not verify against the pinned k256 key of {kmsLabel} ({pin.K256Pubkey}, from {Describe(pin.Source)}): {verdict.Problem}",
            $"the env-encryption key from {peer.Public} has a signature that does not verify against {kmsLabel}'s pinned key",
            Method, 200), BadSignature: true);
    }

    /// <summary>The KMS's own refusal of the app, or a verified key: nothing a relay could change.</summary>
    private static bool IsFinal(Outcome o) => o.Key is not null || o.Error is { Failure: DstackFailure.RemoteError };

    private static EnvEncryptPubkeyResponse Result(Outcome o) => o.Key ?? throw o.Error!;

    /// <summary>
    /// No verified key. A key that could not be checked at all (no pin) is the failure to report: the operator must
    /// pin the KMS. Otherwise the KMS's failure, followed by the relays' as before; any bad signature makes it a 502.
    /// </summary>
    private static DstackException Failure(Request request, IReadOnlyList<Outcome> outcomes)
    {
        var label = $"KMS '{request.Kms.Id}'";
        if (outcomes.FirstOrDefault(o => o.Unpinned is not null) is { Unpinned: { } lookup } unpinned)
        {
            var hint = unpinned.Signer is { } s
                ? $"; {unpinned.Peer.Full} answered a key signed by {s}: if that is the KMS's k256 key (its GetMeta k256_pubkey, read on the KMS host), pin it with k256_pubkey = \"{s}\""
                : "; pin it with its GetMeta k256_pubkey (read on the KMS host) as k256_pubkey";
            return new DstackException(DstackFailure.BadResponse,
                $"{label} ({request.Kms.Url}): its k256 signing key is unknown, so its env-encryption key cannot be verified and is not handed out: {lookup.FullReason}{hint} in the [[kms]] entry with url = \"{request.Kms.Url}\"",
                $"{label}'s k256 signing key is unknown, so its env-encryption key cannot be verified: {lookup.PublicReason}; an admin must pin it (k256_pubkey in its [[kms]] entry)",
                Method);
        }

        var direct = outcomes[0].Error!;
        var relays = outcomes.Skip(1).ToList();
        var failure = outcomes.Any(o => o.BadSignature) ? DstackFailure.BadResponse : direct.Failure;
        if (relays.Count == 0) return direct;
        return new DstackException(failure,
            $"{direct.FullDetail}; relaying through {string.Join("; ", relays.Select(o => $"teepod {o.Peer.Relay!.Id} ({o.Peer.Relay.Name}): {o.Error!.FullDetail}"))}",
            $"{direct.PublicDetail}; relaying failed: {string.Join("; ", relays.Select(o => o.Error!.PublicDetail))}",
            Method, direct.HttpStatus);
    }

    /// <summary>A key that is not 32 bytes, or signatures that are not hex, are no answer: treated like any other failed one.</summary>
    private static DstackException? Malformed(EnvEncryptPublicKey key, Peer peer)
    {
        if (!Hex64().IsMatch(key.PublicKey))
            return new DstackException(DstackFailure.BadResponse,
                $"{peer.Full}: {Method} returned a public key that is not 32 bytes of hex",
                $"{peer.Public} answered {Method} with a public key that is not 32 bytes of hex", Method, 200);
        if (!HexOrEmpty().IsMatch(key.Signature) || !HexOrEmpty().IsMatch(key.SignatureV1))
            return new DstackException(DstackFailure.BadResponse,
                $"{peer.Full}: {Method} returned a signature that is not hex",
                $"{peer.Public} answered {Method} with a signature that is not hex", Method, 200);
        return null;
    }

    private static string Describe(KmsPinSource source) => source == KmsPinSource.Config ? "the configuration" : "first use";

    private sealed record Request(KmsConfig Kms, string AppId, Task<PinLookup> Pin, TimeSpan Deadline, CancellationToken Caller);

    /// <param name="Full">Label with address, for admins; <paramref name="Public"/> without.</param>
    private sealed record Peer(string Full, string Public, TeepodRecord? Relay);

    private sealed record Outcome(
        Peer Peer, EnvEncryptPubkeyResponse? Key = null, DstackException? Error = null, PinLookup? Unpinned = null,
        string? Signer = null, bool BadSignature = false);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Hex64();

    [GeneratedRegex("^(?:[0-9a-f]{2})*$")]
    private static partial Regex HexOrEmpty();
}
