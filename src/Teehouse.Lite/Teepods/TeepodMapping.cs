namespace Teehouse.Lite.Teepods;

public static class TeepodMapping
{
    public static TeepodResponse ToResponse(TeepodRecord t) => new(
        t.Id, t.Name, t.Endpoint, t.KmsUrl, t.KmsVersion, KmsCaCertParser.TryParse(t.KmsCaCertPem),
        t.TproxyUrl, t.TproxyVersion, t.TproxyBaseDomain, t.TproxyPort, t.TproxyTappdPort, t.TeepodVersion,
        t.MaxCvmNumber, t.MaxAllocableVcpu, t.MaxAllocableMemoryInMb, t.MaxDiskSizeInGb,
        t.Status, t.Enabled, t.LastPingAt, t.CreatedAt, t.RegionIdentifier, t.Listed, t.LastError);
}
