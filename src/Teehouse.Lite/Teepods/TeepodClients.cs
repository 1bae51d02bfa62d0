using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Teepods;

public static class TeepodClients
{
    /// <summary>
    /// The vmm client of a registered teepod. Its errors name the host as <c>teepod '&lt;name&gt;'</c> to callers who are
    /// not admins, never by its address. It speaks the release the last probe recorded (see <see cref="VmmFeatures"/>).
    /// </summary>
    public static VmmClient VmmFor(this DstackClientFactory clients, TeepodRecord teepod) =>
        clients.Vmm(teepod.Endpoint, teepod.Credentials(), Label(teepod.Name)).ForVersion(teepod.TeepodVersion);

    /// <summary>How users are told which teepod failed.</summary>
    public static string Label(string name) => $"teepod '{name}'";
}
