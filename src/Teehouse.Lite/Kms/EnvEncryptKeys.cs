using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
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
    public static async Task<EnvEncryptPubkeyResponse> GetAsync(
        KmsConfig kms, string appId, DstackClientFactory clients, TeepodStore teepods, ILogger logger, CancellationToken ct)
    {
        ApiException direct;
        try
        {
            return Checked(await clients.Kms(kms.Url).GetAppEnvEncryptPubKeyAsync(appId, ct), $"KMS {kms.Url}");
        }
        catch (DstackException e) when (e.Failure == DstackFailure.RemoteError)
        {
            throw; // the KMS's own verdict on this app id: a relay would ask the same KMS
        }
        catch (ApiException e)
        {
            direct = e;
        }
        catch (ArgumentException e)
        {
            direct = ApiException.BadGateway($"KMS '{kms.Id}' has an unusable url {kms.Url}: {e.Message}");
        }

        var relays = (await teepods.ListAsync(includeDisabled: false))
            .Where(t => t.Enabled && t.Status == TeepodStatus.Online && t.KmsUrl is { } url && TeepodProbe.SameUrl(url.Trim(), kms.Url.Trim()))
            .ToList();
        var failures = new List<string>();
        foreach (var teepod in relays)
        {
            try
            {
                var key = Checked(
                    await clients.Vmm(teepod.Endpoint, teepod.AuthToken).GetAppEnvEncryptPubKeyAsync(appId, ct), $"teepod {teepod.Endpoint}");
                logger.LogInformation("KMS {Kms} not reachable directly ({Detail}); env-encryption key for app {AppId} relayed by teepod {Teepod}",
                    kms.Id, direct.Message, appId, teepod.Id);
                return key;
            }
            catch (Exception e) when (e is ApiException or ArgumentException)
            {
                failures.Add($"teepod {teepod.Id} ({teepod.Name}): {e.Message}");
            }
        }

        if (failures.Count == 0) throw direct;
        throw new ApiException(direct.StatusCode, $"{direct.Message}; relaying through {string.Join("; ", failures)}");
    }

    /// <summary>A key that is not 32 bytes is no key: treated like any other failed answer.</summary>
    private static EnvEncryptPubkeyResponse Checked(EnvEncryptPublicKey key, string peer)
    {
        if (!Hex64().IsMatch(key.PublicKey))
            throw ApiException.BadGateway($"{peer}: {Method} returned a public key that is not 32 bytes of hex");
        if (!HexOrEmpty().IsMatch(key.Signature))
            throw ApiException.BadGateway($"{peer}: {Method} returned a signature that is not hex");
        return new EnvEncryptPubkeyResponse(key.PublicKey, key.Signature);
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Hex64();

    [GeneratedRegex("^(?:[0-9a-f]{2})*$")]
    private static partial Regex HexOrEmpty();
}
