using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class CvmIdsTests
{
    private const string Uuid = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
    private static readonly string App = new('a', 40);
    private static readonly string Instance = new('1', 40);

    [Fact]
    public void Uuids_are_normalized_to_dstacks_dashed_lowercase_form()
    {
        Assert.Equal(Uuid, CvmIds.Parse(Uuid).Uuid);
        Assert.Equal(Uuid, CvmIds.Parse(Uuid.Replace("-", "")).Uuid);
        Assert.Equal(Uuid, CvmIds.Parse(Uuid.ToUpperInvariant()).Uuid);
        Assert.Null(CvmIds.Parse(Uuid[..^1]).Uuid);
    }

    [Fact]
    public void App_and_instance_prefixes_and_bare_40_hex()
    {
        Assert.Equal(App, CvmIds.Parse($"app_{App}").Hex40);
        Assert.Equal(App, CvmIds.Parse(App.ToUpperInvariant()).Hex40);
        Assert.Equal(App, CvmIds.Parse($"app_0x{App}").Hex40);
        Assert.Null(CvmIds.Parse($"app_{App[..39]}").Hex40);
        Assert.Equal(Instance, CvmIds.Parse($"instance_{Instance}").InstanceId);
        Assert.Null(CvmIds.Parse("instance_xyz").InstanceId);
        Assert.Equal(42, CvmIds.Parse("42").Numeric);
        Assert.Null(CvmIds.Parse("4x2").Numeric);
        Assert.Null(CvmIds.Parse("99999999999999999999999").Numeric);
    }

    private static CvmRow Row(long id, string name = "web", string created = "2026-01-01T00:00:00.000Z", string? hashed = null,
        string? app = null, string? instance = null, string? uuid = null) => new()
    {
        Id = id, Name = name, CreatedAt = created, HashedId = hashed ?? $"h{id:000000000000000}", AppId = app ?? App,
        InstanceId = instance, VmUuid = uuid ?? Guid.NewGuid().ToString(),
    };

    [Fact]
    public void The_strongest_match_wins_then_the_newest()
    {
        var older = Row(1, created: "2026-01-01T00:00:00.000Z");
        var newer = Row(2, created: "2026-02-01T00:00:00.000Z");
        Assert.Same(newer, CvmIds.Pick(CvmIds.Parse($"app_{App}"), [older, newer]));
        Assert.Same(newer, CvmIds.Pick(CvmIds.Parse("web"), [newer, older]));
        Assert.Same(older, CvmIds.Pick(CvmIds.Parse("1"), [older, newer]));
        Assert.Same(older, CvmIds.Pick(CvmIds.Parse(older.HashedId), [older, newer]));

        // A hashed id beats a name that happens to equal it; a uuid beats an app id.
        var named = Row(3, name: "h000000000000002", created: "2026-03-01T00:00:00.000Z");
        Assert.Same(newer, CvmIds.Pick(CvmIds.Parse(newer.HashedId), [named, newer]));
        var byUuid = Row(4, uuid: Uuid, app: new string('f', 40));
        Assert.Same(byUuid, CvmIds.Pick(CvmIds.Parse(Uuid), [newer, byUuid]));

        // Same creation time: the higher row id is the newer one.
        var twin = Row(5, created: newer.CreatedAt);
        Assert.Same(twin, CvmIds.Pick(CvmIds.Parse($"app_{App}"), [newer, twin]));
        Assert.Null(CvmIds.Pick(CvmIds.Parse("other"), [older, newer]));
    }

    [Fact]
    public void An_instance_id_sent_as_app_hex_falls_back_to_the_instance()
    {
        var row = Row(1, app: new string('e', 40), instance: Instance);
        Assert.Equal(CvmIdMatch.InstanceId, CvmIds.Match(CvmIds.Parse($"app_{Instance}"), row));
        Assert.Equal(CvmIdMatch.InstanceId, CvmIds.Match(CvmIds.Parse($"instance_{Instance.ToUpperInvariant()}"), row));
        // But an app that matches wins over another CVM's instance.
        var app = Row(2, app: Instance);
        Assert.Same(app, CvmIds.Pick(CvmIds.Parse($"app_{Instance}"), [row, app]));
    }
}
