using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class ComposeFactsTests
{
    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"kms_enabled": true}""")]
    [InlineData("""{"kms_enabled": false, "name": "x"}""")]
    [InlineData("""{"kms_enabled": "true"}""")]
    [InlineData("""{"kms_enabled": true, "kms_enabled": 1}""")]
    [InlineData("""{"kms_enabled": 1, "kms_enabled": true}""")]
    [InlineData("""{"kms\u005fenabled": true}""")]
    [InlineData("""{"nested": {"kms_enabled": true}}""")]
    [InlineData("""{"docker_compose_file": "services: {}", "kms_enabled": true, "features": ["kms"]}""")]
    [InlineData("""{"kms_enabled": true, "broken": """)]
    [InlineData("""{"broken": , "kms_enabled": true}""")]
    [InlineData("""[{"kms_enabled": true}]""")]
    [InlineData("""{"kms_enabled": true} trailing""")]
    [InlineData("not json")]
    [InlineData("""{"kms_enabled": true, /* c */ "x": 1}""")]
    [InlineData("""{"name": "caf\u00e9 \ud83d\ude00", "kms_enabled": true}""")]
    public void Hash_and_kms_flag_are_what_the_parser_says(string compose)
    {
        var (hash, kms) = ComposeFacts.Read(compose, withKms: true);
        Assert.Equal(AppComposeParser.ComposeHash(compose), hash);
        Assert.Equal(AppComposeParser.Parse(compose)?.KmsEnabled ?? false, kms);
        Assert.Null(ComposeFacts.Read(compose, withKms: false).KmsEnabled);
    }
}
