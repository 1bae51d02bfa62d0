using System.Text;
using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

/// <summary>The Authorization header as it leaves for the vmm: Basic as vmm-cli builds it, Bearer as before.</summary>
public sealed class VmmCredentialsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Basic_goes_on_every_prpc_call_and_on_logs_as_vmm_cli_encodes_it()
    {
        await using var server = new CannedHttpServer(r => r.Target.Contains("/logs?", StringComparison.Ordinal)
            ? new CannedResponse(200, "line\n", "text/plain")
            : CannedResponse.Json("""{"version":"0.5.5","rev":"git:abc"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var vmm = factory.Vmm(server.BaseUrl, VmmCredentials.Basic("opérateur", "p:ss wörd"), "teepod 'tdx-1'");

        await vmm.VersionAsync(Ct);
        await using (var logs = await vmm.OpenLogsAsync("vm-1", follow: false, lines: 1, ct: Ct))
            Assert.Equal("line\n", await new StreamReader(logs).ReadToEndAsync(Ct));

        // base64(utf8(user ":" password)), the form of vmm-cli.py (v0.5.5 lines 178-182); a colon may be in the password.
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("opérateur:p:ss wörd"));
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(expected, r.Header("Authorization")));
    }

    [Fact]
    public async Task A_token_is_still_sent_as_bearer_and_no_credentials_send_no_header()
    {
        await using var server = new CannedHttpServer(_ => CannedResponse.Json("""{"version":"0.5.5","rev":"git:abc"}"""));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        await factory.Vmm(server.BaseUrl, VmmCredentials.Of("tok-1", null, null)).VersionAsync(Ct);
        await factory.Vmm(server.BaseUrl, VmmCredentials.Of(null, null, null)).VersionAsync(Ct);
        await factory.Vmm(server.BaseUrl, VmmCredentials.Of("", "", "")).VersionAsync(Ct);
        Assert.Equal(["Bearer tok-1", null, null], server.Requests.Select(r => r.Header("Authorization")));
    }

    [Fact]
    public async Task A_refusal_of_basic_credentials_points_at_them_and_quotes_nothing_of_the_answer()
    {
        await using var server = new CannedHttpServer(_ => new CannedResponse(401, "<html>401 Authorization Required nginx</html>", "text/html"));
        using var factory = new DstackClientFactory(TimeSpan.FromSeconds(5));
        var e = await Assert.ThrowsAsync<DstackException>(
            () => factory.Vmm(server.BaseUrl, VmmCredentials.Basic("op", "SECRET-pw"), "teepod 'tdx-1'").StatusAsync(new VmmStatusRequest(), Ct));
        Assert.Equal(DstackFailure.Unauthorized, e.Failure);
        Assert.EndsWith("(HTTP 401); check the teepod's user name and password", e.FullDetail);
        foreach (var text in new[] { e.FullDetail, e.PublicDetail, e.ToString() })
        {
            Assert.DoesNotContain("SECRET-pw", text);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("op:SECRET-pw")), text);
            Assert.DoesNotContain("nginx", text);
        }
    }

    [Fact]
    public void Formatting_the_credentials_never_shows_the_secret_and_bad_input_is_refused_without_echoing_it()
    {
        Assert.Equal("Basic credentials", VmmCredentials.Basic("op", "SECRET-pw").ToString());
        Assert.Equal("Bearer credentials", VmmCredentials.Bearer("SECRET-tok")!.ToString());

        var colon = Assert.Throws<ArgumentException>(() => VmmCredentials.Basic("o:p", "SECRET-pw"));
        Assert.DoesNotContain("SECRET", colon.Message);
        var control = Assert.Throws<ArgumentException>(() => VmmCredentials.Basic("op", "SECRET\r\nX-Evil: 1"));
        Assert.DoesNotContain("SECRET", control.Message);
        var token = Assert.Throws<ArgumentException>(() => VmmCredentials.Bearer("SECRET\nX"));
        Assert.DoesNotContain("SECRET", token.Message);
    }
}
