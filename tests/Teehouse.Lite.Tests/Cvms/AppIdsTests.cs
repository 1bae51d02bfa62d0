using Teehouse.Lite.Shared;
using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class AppIdsTests
{
    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("0x0123456789ABCDEF0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("0X0123456789ABCDEF0123456789ABCDEF01234567", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("  0123456789abcdef0123456789abcdef01234567 ", "0123456789abcdef0123456789abcdef01234567")]
    public void App_ids_are_20_bytes_of_lowercase_hex_without_0x(string input, string expected)
    {
        Assert.True(AppIds.TryNormalize(input, out var appId));
        Assert.Equal(expected, appId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0123456789abcdef0123456789abcdef0123456")]    // 39
    [InlineData("0123456789abcdef0123456789abcdef012345678")]  // 41
    [InlineData("0123456789abcdef0123456789abcdef0123456g")]
    [InlineData("app_0123456789abcdef0123456789abcdef01234567")]
    public void Anything_else_is_not_an_app_id(string? input) => Assert.False(AppIds.TryNormalize(input, out _));

    [Fact]
    public void The_default_app_id_is_the_first_40_hex_of_the_compose_hash()
    {
        // dstack's rule (vmm and vmm-cli): app_id = sha256(app-compose bytes)[..20 bytes].
        var text = Teehouse.Lite.Deploy.AppComposeJson.Dump(System.Text.Json.Nodes.JsonNode.Parse("""{"name":"ünï","runner":"docker-compose"}"""));
        var hash = Teehouse.Lite.Deploy.AppComposeJson.Hash(text);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))), hash);
        Assert.True(AppIds.TryNormalize(hash[..40], out var appId));
        Assert.Equal(hash[..40], appId);
    }
}
