using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class AppComposeParserTests
{
    private const string FullCompose = """
        {
            "manifest_version": 2,
            "name": "my-app",
            "runner": "docker-compose",
            "docker_compose_file": "services:\n  web:\n    image: nginx\n",
            "bash_script": "echo hi",
            "pre_launch_script": "#!/bin/bash\necho pre",
            "kms_enabled": true,
            "gateway_enabled": true,
            "local_key_provider_enabled": false,
            "key_provider_id": "",
            "public_logs": true,
            "public_sysinfo": false,
            "allowed_envs": ["FOO", "BAR"],
            "no_instance_id": false,
            "secure_time": false,
            "features": ["kms", "tproxy-net"],
            "salt": "abc123",
            "port_policy": {"ports": [{"port": 80, "pp": true}], "restrict_mode": false},
            "requirements": null
        }
        """;

    [Fact]
    public void A_valid_compose_is_read_field_by_field()
    {
        var info = AppComposeParser.Parse(FullCompose)!;

        Assert.Equal(["FOO", "BAR"], info.AllowedEnvs!);
        Assert.Equal("echo hi", info.BashScript);
        Assert.Equal("services:\n  web:\n    image: nginx\n", info.DockerComposeFile);
        Assert.True(info.KmsEnabled);
        Assert.False(info.LocalKeyProviderEnabled);
        Assert.Equal(2, info.ManifestVersion);
        Assert.Equal("my-app", info.Name);
        Assert.False(info.NoInstanceId);
        Assert.Equal("#!/bin/bash\necho pre", info.PreLaunchScript);
        Assert.True(info.PublicLogs);
        Assert.False(info.PublicSysinfo);
        Assert.Equal("docker-compose", info.Runner);
        Assert.True(info.GatewayEnabled);
        Assert.True(info.TproxyEnabled);
        Assert.Equal(["kms", "tproxy-net"], info.Features!);
        Assert.Equal("abc123", info.Salt);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void Key_order_does_not_matter()
    {
        var a = AppComposeParser.Parse("""{"name":"x","manifest_version":2,"kms_enabled":true,"features":["kms"],"runner":"bash"}""");
        var b = AppComposeParser.Parse("""{"runner":"bash","features":["kms"],"kms_enabled":true,"manifest_version":2,"name":"x"}""");

        Assert.Equivalent(a, b, strict: true);
        Assert.Equal("x", b!.Name);
        Assert.Equal("bash", b.Runner);
    }

    [Fact]
    public void Missing_keys_stay_null()
    {
        var info = AppComposeParser.Parse("""{"name":"only"}""")!;

        Assert.Equal("only", info.Name);
        Assert.Null(info.AllowedEnvs);
        Assert.Null(info.BashScript);
        Assert.Null(info.DockerComposeFile);
        Assert.Null(info.KmsEnabled);
        Assert.Null(info.LocalKeyProviderEnabled);
        Assert.Null(info.ManifestVersion);
        Assert.Null(info.NoInstanceId);
        Assert.Null(info.PreLaunchScript);
        Assert.Null(info.PublicLogs);
        Assert.Null(info.PublicSysinfo);
        Assert.Null(info.Runner);
        Assert.Null(info.GatewayEnabled);
        Assert.Null(info.Features);
        Assert.Null(info.Salt);
        Assert.Null(info.TproxyEnabled);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void Unicode_and_escapes_are_decoded()
    {
        var info = AppComposeParser.Parse("{\"name\":\"caf\\u00e9 ☕ 名前 🚀\",\"docker_compose_file\":\"a: \\\"b\\\"\\n\\tc\",\"salt\":\"\\ud83d\\ude80\"}")!;

        Assert.Equal("café ☕ 名前 🚀", info.Name);
        Assert.Equal("a: \"b\"\n\tc", info.DockerComposeFile);
        Assert.Equal("🚀", info.Salt);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void An_escaped_property_name_still_matches()
    {
        var info = AppComposeParser.Parse("""{"kms\u005fenabled":true}""")!;
        Assert.True(info.KmsEnabled);
    }

    [Theory]
    [InlineData("""{"tproxy_enabled":true}""", true)]
    [InlineData("""{"tproxy_enabled":false}""", false)]
    [InlineData("""{"gateway_enabled":false,"tproxy_enabled":true}""", true)]
    [InlineData("""{"gateway_enabled":true,"tproxy_enabled":false}""", true)]
    [InlineData("""{"gateway_enabled":false}""", false)]
    [InlineData("""{"gateway_enabled":"yes","tproxy_enabled":true}""", true)]
    public void Tproxy_enabled_is_the_legacy_name_of_gateway_enabled(string compose, bool expected)
    {
        var info = AppComposeParser.Parse(compose)!;
        Assert.Equal(expected, info.GatewayEnabled);
        Assert.Equal(expected, info.TproxyEnabled);
    }

    [Theory]
    [InlineData("""{"manifest_version":2}""", 2)]
    [InlineData("""{"manifest_version":1}""", 1)]
    [InlineData("""{"manifest_version":"3"}""", 3)]
    [InlineData("""{"manifest_version":"three"}""", null)]
    [InlineData("""{"manifest_version":" 3"}""", null)]
    [InlineData("""{"manifest_version":2.5}""", null)]
    [InlineData("""{"manifest_version":99999999999}""", null)]
    [InlineData("""{"manifest_version":true}""", null)]
    [InlineData("""{"manifest_version":null}""", null)]
    [InlineData("""{"manifest_version":{"v":3}}""", null)]
    public void Manifest_version_is_a_number_or_a_numeric_string(string compose, int? expected)
    {
        var info = AppComposeParser.Parse(compose)!;
        Assert.Equal(expected, info.ManifestVersion);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void Wrong_types_read_as_null_without_failing()
    {
        var info = AppComposeParser.Parse("""
            {
                "name": 42,
                "runner": ["docker-compose"],
                "docker_compose_file": null,
                "kms_enabled": "true",
                "public_logs": 1,
                "public_sysinfo": {"a": [1, 2, {"b": null}]},
                "no_instance_id": null,
                "allowed_envs": "FOO",
                "features": ["kms", 1, null, {"x": "y"}, ["z"], "tproxy-net"],
                "salt": false,
                "pre_launch_script": "kept"
            }
            """)!;

        Assert.Null(info.Name);
        Assert.Null(info.Runner);
        Assert.Null(info.DockerComposeFile);
        Assert.Null(info.KmsEnabled);
        Assert.Null(info.PublicLogs);
        Assert.Null(info.PublicSysinfo);
        Assert.Null(info.NoInstanceId);
        Assert.Null(info.AllowedEnvs);
        Assert.Equal(["kms", "tproxy-net"], info.Features!);
        Assert.Null(info.Salt);
        Assert.Equal("kept", info.PreLaunchScript);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void Truncated_json_keeps_the_fields_read_before_the_break_and_the_raw_text()
    {
        const string text = """{"manifest_version":2,"name":"cut","kms_enabled":true,"allowed_envs":["A","B"],"docker_compose_file":"services:\n  web:\n    ima""";
        var info = AppComposeParser.Parse(text)!;

        Assert.Equal(2, info.ManifestVersion);
        Assert.Equal("cut", info.Name);
        Assert.True(info.KmsEnabled);
        Assert.Equal(["A", "B"], info.AllowedEnvs!);
        Assert.Null(info.DockerComposeFile);
        Assert.Null(info.Runner);
        Assert.Equal(text, info.Raw);
    }

    [Theory]
    [InlineData("""{"name":"a","features":["kms","tpr""", "a")] // inside an array: the half-read array is dropped
    [InlineData("""{"name":"a","runner":""", "a")]              // after a property name
    [InlineData("""{"name":"a",""", "a")]                       // after a comma
    [InlineData("""{"name":"a"}}""", "a")]                      // trailing garbage after the object
    [InlineData("""{"name":"a"} {"name":"b"}""", "a")]          // two values
    [InlineData("""{"name":"a",}""", "a")]                      // trailing comma (serde_json rejects it)
    [InlineData("""{"name":"a", // comment""", "a")]            // comments are not JSON
    [InlineData("""{"name":"a","x":tru}""", "a")]               // bad literal
    [InlineData("""{"name":"a","salt":"\ud800"}""", "a")]       // lone surrogate escape
    [InlineData("""{"name":"a" "runner":"b"}""", "a")]          // missing comma
    [InlineData("""{name:"a"}""", null)]                        // unquoted key
    [InlineData("{", null)]
    public void Broken_json_keeps_what_was_read_and_the_raw_text(string text, string? name)
    {
        var info = AppComposeParser.Parse(text)!;

        Assert.Equal(name, info.Name);
        Assert.Null(info.Features);
        Assert.Null(info.Runner);
        Assert.Null(info.Salt);
        Assert.Equal(text, info.Raw);
    }

    [Theory]
    [InlineData("""["name","a"]""")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("""[{"name":"a"}]""")]
    [InlineData("   ")]
    [InlineData("name: a\nrunner: docker-compose\n")]
    public void A_text_that_is_not_a_json_object_gives_all_null_and_the_raw_text(string text)
    {
        var info = AppComposeParser.Parse(text)!;

        Assert.Equivalent(new AppComposeInfo { Raw = text }, info, strict: true);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void No_text_gives_null(string? text) => Assert.Null(AppComposeParser.Parse(text));

    [Fact]
    public void Deep_nesting_in_an_unknown_field_is_skipped()
    {
        var text = "{\"name\":\"deep\",\"x\":" + new string('[', 200) + new string(']', 200) + ",\"runner\":\"bash\"}";
        var info = AppComposeParser.Parse(text)!;

        Assert.Equal("deep", info.Name);
        Assert.Equal("bash", info.Runner);
        Assert.Null(info.Raw);
    }

    [Fact]
    public void Nesting_past_the_reader_limit_counts_as_broken_but_keeps_earlier_fields()
    {
        var text = "{\"name\":\"deep\",\"x\":" + new string('[', 100_000) + new string(']', 100_000) + ",\"runner\":\"bash\"}";
        var info = AppComposeParser.Parse(text)!;

        Assert.Equal("deep", info.Name);
        Assert.Null(info.Runner);
        Assert.Equal(text, info.Raw);
    }

    [Fact]
    public void A_one_mib_docker_compose_file_parses_quickly()
    {
        var yaml = BigYaml(1024 * 1024);
        var text = ComposeWith(yaml);
        Assert.True(text.Length > 1024 * 1024);

        var watch = Stopwatch.StartNew();
        var info = AppComposeParser.Parse(text)!;
        watch.Stop();

        Assert.Equal(yaml, info.DockerComposeFile);
        Assert.Equal("big", info.Name);
        Assert.True(info.KmsEnabled);
        Assert.Null(info.Raw);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_truncated_one_mib_compose_keeps_earlier_fields_quickly()
    {
        var text = ComposeWith(BigYaml(1024 * 1024));
        var cut = text[..(text.Length / 2)];

        var watch = Stopwatch.StartNew();
        var info = AppComposeParser.Parse(cut)!;
        watch.Stop();

        Assert.Equal("big", info.Name);
        Assert.Equal(2, info.ManifestVersion);
        Assert.Null(info.DockerComposeFile);
        Assert.Same(cut, info.Raw);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Compose_hash_is_the_sha256_of_the_exact_utf8_bytes()
    {
        // printf '%s' '{"manifest_version":2,"name":"café ☕","runner":"docker-compose"}' | sha256sum
        Assert.Equal("d4f1947719c5ce489ad4c9493fd209be42fcb996caf77c34ecbf73d7b591de51",
            AppComposeParser.ComposeHash("""{"manifest_version":2,"name":"café ☕","runner":"docker-compose"}"""));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", AppComposeParser.ComposeHash(""));
        // No canonicalization: whitespace changes the hash.
        Assert.NotEqual(AppComposeParser.ComposeHash("""{"name":"a"}"""), AppComposeParser.ComposeHash("""{"name": "a"}"""));
    }

    private static string BigYaml(int minLength)
    {
        var sb = new StringBuilder("services:\n");
        for (var i = 0; sb.Length < minLength; i++)
        {
            sb.Append("  svc").Append(i).Append(":\n    image: \"nginx:1.27\"\n    environment:\n      - KEY=välue\\n\t☕\n");
        }
        return sb.ToString();
    }

    private static string ComposeWith(string yaml)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("manifest_version", 2);
            writer.WriteString("name", "big");
            writer.WriteString("runner", "docker-compose");
            writer.WriteString("docker_compose_file", yaml);
            writer.WriteBoolean("kms_enabled", true);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
