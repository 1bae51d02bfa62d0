using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Teepods;

public static class TeepodClients
{
    /// <summary>A client for the teepod's vmm that names it by its name in what users see.</summary>
    public static VmmClient VmmFor(this DstackClientFactory clients, TeepodRecord teepod) =>
        clients.Vmm(teepod.Endpoint, teepod.AuthToken);
}
