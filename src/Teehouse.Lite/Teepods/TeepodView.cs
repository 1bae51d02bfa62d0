using System.Text.Json;

namespace Teehouse.Lite.Teepods;

/// <summary>
/// One teepod as the read routes show it, built when the read model meets a new version of its row (a registration,
/// an update, a ping), never per request: both roles' answers, the admin's serialised <c>/teepods/{id}</c>, and the
/// images it offers. The certificate and images come from <see cref="ParseMemo{TValue}"/>, so unchanged texts are
/// not parsed again.
/// </summary>
public sealed class TeepodView
{
    private TeepodView(TeepodRecord record, TeepodResponse forAdmin, TeepodResponse forUser, byte[] adminJson, TeepodImages images)
    {
        Record = record;
        ForAdmin = forAdmin;
        ForUser = forUser;
        AdminJson = adminJson;
        Images = images.Offered;
        StoredImages = images.Stored;
    }

    public TeepodRecord Record { get; }
    public TeepodResponse ForAdmin { get; }

    /// <summary>Without the addresses, the unscrubbed error and the auth scheme (see <see cref="TeepodMapping"/>).</summary>
    public TeepodResponse ForUser { get; }

    /// <summary>GET /teepods/{id}, which only admins may ask.</summary>
    public byte[] AdminJson { get; }

    /// <summary>The images /teepods/available offers: those whose version the SDK reads.</summary>
    public List<AvailableImage> Images { get; }

    /// <summary>Every image the vmm listed, readable version or not (GET /os-images).</summary>
    public List<StoredImage> StoredImages { get; }

    public static TeepodView Build(TeepodRecord t, ParseMemo<KmsCaCertInfo?> certificates, ParseMemo<TeepodImages> images)
    {
        var cert = t.KmsCaCertPem is null ? null : certificates.Get(t.KmsCaCertPem, KmsCaCertParser.TryParse);
        var forAdmin = TeepodMapping.ToResponse(t, isAdmin: true, cert);
        return new TeepodView(t, forAdmin, TeepodMapping.ToResponse(t, isAdmin: false, cert),
            JsonSerializer.SerializeToUtf8Bytes(forAdmin, TeepodsJson.Default.TeepodResponse),
            images.Get(t.ImagesJson, TeepodAvailability.Parse));
    }
}
