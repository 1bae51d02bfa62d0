namespace Teehouse.Lite.Teepods;

public static class TeepodMapping
{
    /// <summary>
    /// Where the vmm, its KMS and its gateway live is for admins: users get those keys as null (the SDK only needs
    /// them present) and the last error without addresses. The gateway's base domain and ports stay, since users
    /// reach their own apps through them. Of the vmm credentials only the scheme is ever shown, and only to admins, so
    /// an operator can tell what is configured without the secret leaving the database.
    /// </summary>
    public static TeepodResponse ToResponse(TeepodRecord t, bool isAdmin) =>
        ToResponse(t, isAdmin, KmsCaCertParser.TryParse(t.KmsCaCertPem));

    /// <summary>The same with the CA certificate already parsed (the read models parse each PEM text once).</summary>
    public static TeepodResponse ToResponse(TeepodRecord t, bool isAdmin, KmsCaCertInfo? kmsCaCert) => new(
        t.Id, t.Name, isAdmin ? t.Endpoint : null, isAdmin ? t.KmsUrl : null, t.KmsVersion, kmsCaCert,
        isAdmin ? t.TproxyUrl : null, t.TproxyVersion, t.TproxyBaseDomain, t.TproxyPort, t.TproxyTappdPort, t.TeepodVersion,
        t.MaxCvmNumber, t.MaxAllocableVcpu, t.MaxAllocableMemoryInMb, t.MaxDiskSizeInGb,
        t.Status, t.Enabled, t.LastPingAt, t.CreatedAt, t.RegionIdentifier, t.Listed, isAdmin ? t.LastErrorDetail : t.LastError,
        isAdmin ? AuthScheme(t) : null);

    private static string? AuthScheme(TeepodRecord t) =>
        !string.IsNullOrEmpty(t.AuthUsername) ? "basic" : !string.IsNullOrEmpty(t.AuthToken) ? "bearer" : null;
}
