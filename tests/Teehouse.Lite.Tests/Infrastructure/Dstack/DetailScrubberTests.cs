using Teehouse.Lite.Infrastructure.Dstack;

namespace Teehouse.Lite.Tests.Infrastructure.Dstack;

public sealed class DetailScrubberTests
{
    [Theory]
    [InlineData("error sending request for url (http://10.0.0.5:9080/prpc/StopVm?json)", "error sending request for url")]
    [InlineData("teepod 'tdx-1' (unix:/run/vmm.sock) is unreachable: no socket at /run/vmm.sock", "teepod 'tdx-1' is unreachable: no socket at [path]")]
    [InlineData("see https://kms.internal:8000.", "see [url].")]
    [InlineData("failed: grpc+tls://gw:443/x, retrying", "failed: [url], retrying")]
    [InlineData("no socket at unix:/run/dstack/vmm.sock", "no socket at [socket]")]
    [InlineData("Connection refused (127.0.0.1:35037)", "Connection refused")]
    [InlineData("Name or service not known (kms.internal:8000)", "Name or service not known")]
    [InlineData("bind 0.0.0.0 failed", "bind [address] failed")]
    [InlineData("peer [::1]:8080 reset", "peer [address] reset")]
    [InlineData("peer fe80::1 and 2001:db8::8a2e:370:7334 gone", "peer [address] and [address] gone")]
    [InlineData("dial 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "dial [address]")]
    [InlineData("connect localhost:8000: refused", "connect [address]: refused")]
    [InlineData("lookup kms.internal:8000 failed", "lookup [address] failed")]
    [InlineData("open /var/lib/dstack/vm/abc/shared: No such file", "open [path]: No such file")]
    [InlineData("\"/etc/teehouse/config.toml\" missing", "\"[path]\" missing")]
    [InlineData("Authorization: Bearer s3cret-token rejected", "Authorization: Bearer [secret] rejected")]
    [InlineData("auth_token=abc123 password: hunter2", "auth_token=[secret] password: [secret]")]
    [InlineData("key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA== leaked", "key [secret] leaked")]
    [InlineData("hex 0123456789abcdef0123456789abcdef leaked", "hex [secret] leaked")]
    public void Infrastructure_is_replaced(string input, string expected) =>
        Assert.Equal(expected, DetailScrubber.Scrub(input));

    [Theory]
    [InlineData("Failed to start VM: VM is being removed")]
    [InlineData("app 1234567890abcdef1234567890abcdef12345678 not found")] // app id / instance id: 40 hex
    [InlineData("app 0x1234567890ABCDEF1234567890abcdef12345678 not found")]
    [InlineData("compose hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 differs")]
    [InlineData("VM 6f1c4e9a-0000-4000-8000-000000000001 not found")]
    [InlineData("at 2025-07-04T04:41:34.966Z, 04:41:34")]
    [InlineData("HTTP/1.1 400, 2/4 vCPU and/or memory, dstack-0.5.5, version 1.2.3")]
    [InlineData("std::io::Error: invalid_compose_file_format_in_manifest")]
    [InlineData("teepod 'tdx-1' refused StopVm")]
    [InlineData("")]
    public void What_users_work_with_stays(string input) =>
        Assert.Equal(input, DetailScrubber.Scrub(input));

    [Fact]
    public void Null_is_empty() => Assert.Equal("", DetailScrubber.Scrub(null));
}
