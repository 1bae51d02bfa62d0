using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Upgrades;

/// <summary>What a compose change does to an app without a KMS, by the guest image it boots.</summary>
public enum NonKmsOutcome
{
    /// <summary>KMS app, the compose keeps the app id, the image version is unknown, or the image pins the app id (0.6+).</summary>
    Unaffected,

    /// <summary>Images up to 0.5.5 stop at boot: "App upgrade is not supported without KMS" (dstack-util system_setup.rs).</summary>
    WouldNotBoot,

    /// <summary>Images 0.5.6 – 0.5.11 boot, and attest the first 40 hex of the new compose hash as the app id.</summary>
    AttestsNewAppId,
}

/// <summary>
/// The guest, not the vmm, decides what a changed compose means for an app without a KMS: UpdateVm never changes the
/// app id the vmm reports (the manifest's), but the guest measures its own. Judged before anything is written.
/// </summary>
public static partial class NonKmsUpgrades
{
    private static readonly Version FirstBooting = new(0, 5, 6);
    private static readonly Version FirstPinning = new(0, 6, 0);

    public static NonKmsOutcome Judge(bool kmsEnabled, string appId, string newComposeHash, Version? imageVersion)
    {
        if (kmsEnabled || imageVersion is null || newComposeHash.Length < 40) return NonKmsOutcome.Unaffected;
        if (string.Equals(newComposeHash[..40], appId, StringComparison.OrdinalIgnoreCase)) return NonKmsOutcome.Unaffected;
        if (imageVersion < FirstBooting) return NonKmsOutcome.WouldNotBoot;
        return imageVersion < FirstPinning ? NonKmsOutcome.AttestsNewAppId : NonKmsOutcome.Unaffected;
    }

    /// <summary>
    /// Refuses (409) a compose the CVM's image could not boot; otherwise the note to give the caller when the guest will
    /// attest another app id, or null. <paramref name="newImage"/>: the image the same update switches to, if any.
    /// </summary>
    public static string? Check(VmInfo vm, string appId, string hashedId, string newComposeText, string? newImage)
    {
        var image = newImage ?? vm.Configuration?.Image ?? "";
        var version = newImage is null ? VmmFeatures.Parse(vm.ImageVersion) ?? VersionIn(image) : VersionIn(image);
        var hash = Deploy.AppComposeJson.Hash(newComposeText);
        switch (Judge(KmsEnabled(newComposeText), appId, hash, version))
        {
            case NonKmsOutcome.WouldNotBoot:
                throw ApiException.Conflict(
                    $"CVM {hashedId} has no KMS and runs guest image {image} ({version}): images before 0.5.6 refuse to boot a " +
                    $"changed compose without a KMS (\"App upgrade is not supported without KMS\"). Switch it to a 0.5.6 or newer image first, or deploy the new compose as a new app");
            case NonKmsOutcome.AttestsNewAppId:
                return $"without a KMS, guest image {image} will attest app id {hash[..40]} (from the new compose), not {appId}";
            default:
                return null;
        }
    }

    /// <summary>The version in an image name: <c>dstack-0.5.5</c>, <c>dstack-nvidia-dev-0.5.8</c>.</summary>
    public static Version? VersionIn(string imageName) =>
        ImageVersion().Match(imageName) is { Success: true } m ? VmmFeatures.Parse(m.Value) : null;

    private static bool KmsEnabled(string composeText)
    {
        try
        {
            return JsonNode.Parse(composeText)?["kms_enabled"]?.GetValueKind() == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"\d+\.\d+\.\d+(?!.*\d+\.\d+\.\d+)")]
    private static partial Regex ImageVersion();
}
