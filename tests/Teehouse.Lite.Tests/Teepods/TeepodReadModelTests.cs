using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Teepods;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Teepods;

/// <summary>The read model as a pure function of the rows: what it parses, what it reuses, what each caller is given.</summary>
public sealed class TeepodReadModelTests
{
    private const string Images = """[{"name":"dstack-0.5.5","version":"0.5.5","is_dev":false}]""";
    private static readonly TierConfig Free = new() { MaxInstances = 1, MaxVcpu = 2, MaxMemory = 4096, MaxDisk = 40 };

    private static TeepodRecord Row(long id, string name, Action<TeepodRecord>? differences = null)
    {
        var row = new TeepodRecord
        {
            Id = id, Name = name, Endpoint = $"http://10.0.0.{id}:9080", KmsUrl = "http://10.0.0.9:8000", KmsCaCertPem = TeepodAnswersStage.GoldenCaPem,
            TproxyUrl = "http://10.0.0.9:8010", AuthToken = "secret", Status = TeepodStatus.Online, Enabled = true, Listed = true,
            MaxAllocableVcpu = 8, MaxAllocableMemoryInMb = 8192, MaxCvmNumber = 10, ImagesJson = Images, CreatedAt = "2026-01-01T00:00:00Z",
            LastErrorDetail = $"teepod '{name}' (http://10.0.0.{id}:9080) is unreachable",
        };
        differences?.Invoke(row);
        return row;
    }

    private static TeepodReadModel Build(long version, IReadOnlyList<TeepodRecord> rows, TeepodReadModel? previous = null, List<KmsConfig>? kms = null) =>
        TeepodReadModel.Build(version, rows, kms ?? [], previous);

    private static JsonElement Parse(byte[] json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void A_rebuild_after_a_ping_parses_neither_the_certificate_nor_the_images_again()
    {
        var first = Build(1, [Row(1, "a"), Row(2, "b")]);
        var pinged = Build(2, [Row(1, "a", t => (t.UsedVcpu, t.LastPingAt) = (3, "2026-01-01T00:00:30Z")), Row(2, "b")], first);

        // One parse for the two teepods sharing a PEM, kept across the build.
        Assert.Same(first.Find(1)!.ForAdmin.KmsCaCert, first.Find(2)!.ForAdmin.KmsCaCert);
        Assert.Same(first.Find(1)!.ForAdmin.KmsCaCert, pinged.Find(1)!.ForAdmin.KmsCaCert);
        Assert.Same(first.Find(1)!.Images, pinged.Find(1)!.Images);
        Assert.Equal("Golden KMS CA", pinged.Find(1)!.ForUser.KmsCaCert!.Subject.CommonName);
        Assert.Equal(5, Parse(pinged.AvailableJson("FREE", Free, NodeOffer.All)).GetProperty("nodes")[0].GetProperty("remaining_vcpu").GetInt64());
    }

    [Fact]
    public void A_changed_text_is_parsed_and_one_no_row_uses_is_let_go()
    {
        var first = Build(1, [Row(1, "a")]);
        var changed = Build(2, [Row(1, "a", t => (t.KmsCaCertPem, t.ImagesJson) = ("garbage", "[]"))], first);

        Assert.Null(changed.Find(1)!.ForAdmin.KmsCaCert);
        Assert.Empty(changed.Find(1)!.Images);
        Assert.Equal(["garbage"], changed.Certificates.Keys);
        Assert.Equal(["[]"], changed.ImageLists.Keys);
    }

    [Fact]
    public void The_parse_memo_parses_each_text_once_and_carries_only_what_was_used()
    {
        var parses = 0;
        int Parse(string text) { parses++; return text.Length; }
        var first = new ParseMemo<int>(null);
        Assert.Equal(3, first.Get("abc", Parse));
        Assert.Equal(3, first.Get("abc", Parse));
        Assert.Equal(1, first.Get("x", Parse));
        var second = new ParseMemo<int>(first.Used);
        Assert.Equal(3, second.Get("abc", Parse));
        Assert.Equal(2, parses);
        Assert.Equal(["abc"], second.Used.Keys);
    }

    [Fact]
    public void The_users_list_has_the_enabled_teepods_without_what_only_admins_see()
    {
        var model = Build(1, [Row(1, "a"), Row(2, "b", t => t.Enabled = false)]);

        var admins = Parse(model.AdminListJson);
        Assert.Equal(2, admins.GetArrayLength());
        Assert.Equal("bearer", admins[0].GetProperty("auth_scheme").GetString());
        Assert.Equal("http://10.0.0.1:9080", admins[0].GetProperty("endpoint").GetString());

        var users = Parse(model.UserListJson);
        var only = Assert.Single(users.EnumerateArray());
        foreach (var key in new[] { "endpoint", "kms_url", "tproxy_url", "auth_scheme" })
            Assert.Equal(JsonValueKind.Null, only.GetProperty(key).ValueKind);
        Assert.Equal("teepod 'a' is unreachable", only.GetProperty("last_error").GetString());
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(model.Find(1)!.ForAdmin, TeepodsJson.Default.TeepodResponse), model.Find(1)!.AdminJson);
        Assert.Null(model.Find(3));
    }

    [Fact]
    public void Available_offers_online_enabled_teepods_listed_ones_to_users_and_is_serialised_once()
    {
        var model = Build(1, [
            Row(1, "a"), Row(2, "unlisted", t => t.Listed = false), Row(3, "offline", t => t.Status = TeepodStatus.Offline),
            Row(4, "disabled", t => t.Enabled = false),
        ]);
        List<string?> Names(NodeOffer offer) =>
            [.. Parse(model.AvailableJson("FREE", Free, offer)).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString())];

        Assert.Equal(["a", "unlisted"], Names(NodeOffer.All));
        Assert.Equal(["a"], Names(NodeOffer.Listed));
        Assert.Empty(Names(NodeOffer.None));
        Assert.Same(model.AvailableJson("FREE", Free, NodeOffer.Listed), model.AvailableJson("FREE", Free, NodeOffer.Listed));
        Assert.NotSame(model.AvailableJson("FREE", Free, NodeOffer.Listed), model.AvailableJson("PRO", Free, NodeOffer.Listed));
    }

    [Fact]
    public void The_kms_catalog_is_the_configs_or_else_derived_from_the_enabled_teepods()
    {
        var rows = new[] { Row(1, "a"), Row(2, "b", t => (t.Enabled, t.KmsUrl) = (false, "http://10.0.0.8:8000")) };
        var derived = Build(1, rows);
        Assert.Equal([KmsCatalog.IdOf("http://10.0.0.9:8000")], derived.KmsList.Select(k => k.Id));
        var node = Parse(derived.AvailableJson("FREE", Free, NodeOffer.All)).GetProperty("nodes")[0];
        Assert.Equal(KmsCatalog.IdOf("http://10.0.0.9:8000"), node.GetProperty("default_kms").GetString());
        Assert.False(node.GetProperty("support_onchain_kms").GetBoolean());

        var configured = Build(1, rows, kms: [new KmsConfig { Id = "chain", Url = "https://k", Version = "0.5.6", ChainId = 8453 }]);
        Assert.Equal(["chain"], configured.KmsList.Select(k => k.Id));
        Assert.True(Parse(configured.AvailableJson("FREE", Free, NodeOffer.All)).GetProperty("nodes")[0].GetProperty("support_onchain_kms").GetBoolean());
    }

    [Theory]
    [InlineData(Roles.Admin, "0", "0", NodeOffer.All)]
    [InlineData(Roles.User, "5", "0", NodeOffer.Listed)]
    [InlineData(Roles.User, "0", "0.5", NodeOffer.Listed)]
    [InlineData(Roles.User, "0", "0", NodeOffer.None)]
    [InlineData(Roles.User, "-3", "2", NodeOffer.None)]
    [InlineData(Roles.User, "not a number", "0", NodeOffer.None)]
    public void What_a_caller_is_offered_depends_on_role_and_balance(string role, string credits, string granted, NodeOffer expected) =>
        Assert.Equal(expected, TeepodAvailability.OfferFor(new UserRecord { Role = role, CreditBalance = credits, GrantedBalance = granted }));
}
