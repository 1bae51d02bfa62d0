using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Kms;

/// <summary>
/// An app's env-encryption public key (X25519) and the KMS's signature over it, as the deploying client needs it to
/// encrypt its environment.
/// <para>
/// Asked of the KMS directly at its <c>[[kms]]</c> url. A KMS is often reachable only from the hosts that use it (its
/// url is e.g. <c>https://localhost:8000</c> on the teepod); then the same question goes through the dstack-vmm of an
/// online, enabled teepod whose <c>kms_url</c> is that KMS (the vmm's <c>GetAppEnvEncryptPubKey</c> proxies to its own
/// KMS). Relaying adds no trust: the key is signed by the KMS's k256 root key, which the client verifies. When the KMS
/// itself answered with an error (it refused this app) nothing is relayed, since the vmm would only ask it again.
/// </para>
/// <para>
/// Hex form: lowercase, no <c>0x</c>, exactly as dstack's KMS and vmm answer. The official clients accept it: the SDK's
/// and CLI's <c>encryptEnvVars(envs, public_key)</c> strips an optional <c>0x</c>, and the documented check
/// <c>verifyEnvEncryptPublicKey(Buffer.from(public_key, "hex"), Buffer.from(signature, "hex"), app_id)</c> needs plain
/// hex (<c>Buffer.from("0x…", "hex")</c> would be empty).
/// </para>
/// </summary>
public static partial class EnvEncryptKeys
{
    private const string Method = "GetAppEnvEncryptPubKey";

    /// <param name="appId">40 lowercase hex characters (see <see cref="Cvms.AppIds.TryNormalize"/>).</param>
    /// <exception cref="DstackException">Neither the KMS nor any relay answered; public detail for users, full for admins.</exception>
    public static async Task<EnvEncryptPubkeyResponse> GetAsync(
        KmsConfig kms, string appId, DstackClientFactory clients, TeepodStore teepods, ILogger logger, CancellationToken ct)
    {
        var label = $"KMS '{kms.Id}'";
        DstackException direct;
        try
        {
            var kmsClient = clients.Kms(kms.Url, label);
            return Checked(await kmsClient.GetAppEnvEncryptPubKeyAsync(appId, ct), $"{label} ({kms.Url})", label);
        }
        catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
        {
            throw; // the KMS's own verdict on this app id: a relay would ask the same KMS
        }
        catch (DstackException e)
        {
            direct = e;
        }
        catch (ArgumentException e)
        {
            direct = new DstackException(DstackFailure.BadResponse,
                $"{label} has an unusable url {kms.Url}: {e.Message}", $"{label} is misconfigured", Method);
        }

        var relays = (await teepods.ListAsync(includeDisabled: false))
            .Where(t => t.Enabled && t.Status == TeepodStatus.Online && t.KmsUrl is { } url && TeepodProbe.SameUrl(url.Trim(), kms.Url.Trim()))
            .ToList();
        var failures = new List<string>();
        var publicFailures = new List<string>();
        foreach (var teepod in relays)
        {
            try
            {
                var key = Checked(await clients.VmmFor(teepod).GetAppEnvEncryptPubKeyAsync(appId, ct),
                    $"teepod {teepod.Endpoint}", TeepodClients.Label(teepod.Name));
                logger.LogInformation("KMS {Kms} not reachable directly ({Detail}); env-encryption key for app {AppId} relayed by teepod {Teepod}",
                    kms.Id, direct.FullDetail, appId, teepod.Id);
                return key;
            }
            catch (DstackException e)
            {
                failures.Add($"teepod {teepod.Id} ({teepod.Name}): {e.FullDetail}");
                publicFailures.Add(e.PublicDetail);
            }
            catch (ArgumentException e)
            {
                failures.Add($"teepod {teepod.Id} ({teepod.Name}): {e.Message}");
                publicFailures.Add($"{TeepodClients.Label(teepod.Name)} is misconfigured");
            }
        }

        if (failures.Count == 0) throw direct;
        throw new DstackException(direct.Failure,
            $"{direct.FullDetail}; relaying through {string.Join("; ", failures)}",
            $"{direct.PublicDetail}; relaying failed: {string.Join("; ", publicFailures)}",
            Method, direct.HttpStatus);
    }

    /// <summary>A key that is not 32 bytes is no key: treated like any other failed answer.</summary>
    private static EnvEncryptPubkeyResponse Checked(EnvEncryptPublicKey key, string peer, string publicPeer)
    {
        if (!Hex64().IsMatch(key.PublicKey))
            throw new DstackException(DstackFailure.BadResponse,
                $"{peer}: {Method} returned a public key that is not 32 bytes of hex",
                $"{publicPeer} answered {Method} with a public key that is not 32 bytes of hex", Method, 200);
        if (!HexOrEmpty().IsMatch(key.Signature))
            throw new DstackException(DstackFailure.BadResponse,
                $"{peer}: {Method} returned a signature that is not hex",
                $"{publicPeer} answered {Method} with a signature that is not hex", Method, 200);
        return new EnvEncryptPubkeyResponse(key.PublicKey, key.Signature);
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Hex64();

    [GeneratedRegex("^(?:[0-9a-f]{2})*$")]
    private static partial Regex HexOrEmpty();
}
