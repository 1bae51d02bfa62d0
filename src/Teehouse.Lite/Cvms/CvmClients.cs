using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cvms;

public static class CvmClients
{
    /// <summary>A client for the vmm that hosts the CVM, naming its teepod (never its address) in what users see.</summary>
    public static VmmClient VmmOf(this DstackClientFactory clients, CvmRow row) =>
        clients.Vmm(row.TeepodEndpoint, VmmCredentials.Of(row.TeepodAuthToken, row.TeepodAuthUsername, row.TeepodAuthPassword),
            Teepods.TeepodClients.Label(row.TeepodName)).ForVersion(row.TeepodVersion);
}
