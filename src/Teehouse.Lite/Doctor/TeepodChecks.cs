using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Doctor;

/// <summary>Each registered teepod asked live (its vmm's Version, its KMS's metadata, its gateway's Info), all at once.</summary>
public static class TeepodChecks
{
    public static async Task<List<DoctorCheck>> RunAsync(IReadOnlyList<TeepodRecord> teepods, DstackClientFactory clients, CancellationToken ct)
    {
        if (teepods.Count == 0)
            return [DoctorCheck.Skip("teepods", "none registered (teehouse teepod add-local, or POST /api/v1/teepods)")];
        var rows = await Task.WhenAll(teepods.Select(t => OneAsync(t, clients, ct)));
        return [.. rows.SelectMany(r => r)];
    }

    private static async Task<List<DoctorCheck>> OneAsync(TeepodRecord t, DstackClientFactory clients, CancellationToken ct)
    {
        var name = $"teepod {t.Id}";
        if (!t.Enabled) return [DoctorCheck.Skip(name, $"'{t.Name}' at {t.Endpoint} is disabled")];
        var label = TeepodClients.Label(t.Name);
        var vmm = Ask(name, async () =>
        {
            var version = await clients.Vmm(t.Endpoint, t.Credentials(), label).VersionAsync(ct);
            var supported = VmmFeatures.Of(version.Version).Supported;
            var text = $"'{t.Name}' at {t.Endpoint}: dstack-vmm {version.Version}" + (version.Rev.Length > 0 ? $" ({version.Rev})" : "");
            return supported
                ? DoctorCheck.Pass(name, text)
                : DoctorCheck.Fail(name, $"{text}, older than {VmmFeatures.Minimum}", $"upgrade dstack-vmm on that host to {VmmFeatures.Minimum} or newer");
        }, e => e.Failure == DstackFailure.Unauthorized
            ? $"fix its credentials: run `teehouse teepod add-local` again, or PUT /api/v1/teepods/{t.Id} with auth_token"
            : $"start dstack-vmm on that host (systemctl status dstack-vmm), or fix the endpoint with PUT /api/v1/teepods/{t.Id}");

        var kms = t.KmsUrl is null
            ? Task.FromResult(DoctorCheck.Skip($"kms {t.Id}", $"'{t.Name}' names no KMS"))
            : Ask($"kms {t.Id}", async () =>
            {
                await clients.Kms(t.KmsUrl).GetMetaAsync(ct);
                return DoctorCheck.Pass($"kms {t.Id}", $"{t.KmsUrl} answers" + (t.KmsVersion is null ? "" : $" (version {t.KmsVersion})"));
            }, _ => "start the KMS (dstack-kms) or correct the teepod's kms_url in vmm.toml and run add-local again");

        var gateway = t.TproxyUrl is null
            ? Task.FromResult(DoctorCheck.Skip($"gateway {t.Id}", $"'{t.Name}' names no gateway"))
            : Ask($"gateway {t.Id}", async () =>
            {
                try
                {
                    var info = await clients.Gateway(t.TproxyUrl).InfoAsync(ct);
                    return DoctorCheck.Pass($"gateway {t.Id}", $"{t.TproxyUrl} answers" + (info.Version.Length > 0 ? $" (version {info.Version})" : ""));
                }
                catch (DstackException e) when (VmmClient.IsUnknownMethod(e, "Info"))
                {
                    return DoctorCheck.Pass($"gateway {t.Id}", $"{t.TproxyUrl} answers (no Info RPC: older than dstack 0.5.4)");
                }
            }, _ => "start dstack-gateway, or correct the teepod's tproxy_endpoint");

        return [await vmm, await kms, await gateway];
    }

    private static async Task<DoctorCheck> Ask(string name, Func<Task<DoctorCheck>> ask, Func<DstackException, string> fix)
    {
        try
        {
            return await ask();
        }
        catch (DstackException e)
        {
            // The operator's own console: the whole story, addresses included (credentials never are in it).
            return DoctorCheck.Fail(name, e.FullDetail.ReplaceLineEndings(" "), fix(e));
        }
    }
}
