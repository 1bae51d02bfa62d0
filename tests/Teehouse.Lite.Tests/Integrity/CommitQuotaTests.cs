using System.Net;
using System.Text.Json;
using Teehouse.Lite.Infrastructure.Config;
using Teehouse.Lite.Users;

namespace Teehouse.Lite.Tests.Integrity;

/// <summary>
/// Tier limits and credits hold at commit, where the VM is made, not only at provision (when nothing is live yet):
/// sequential and concurrent commits never take a user past the limit, and a refused commit creates nothing.
/// <para>
/// Purging expired pending operations (provisions, commit tokens, prepared updates) is not tested here: the app reads
/// the time from <c>DateTime.UtcNow</c> (Infrastructure/Database/Clock.cs has no injectable clock), so expiry can only
/// be simulated by editing rows, which would not show that a purge runs.
/// </para>
/// </summary>
public sealed class CommitQuotaTests : IntegrityStage
{
    private const int SoakUsers = 5;
    private const int SoakProvisionsPerUser = 10;
    private const int SoakLimit = 4;

    protected override void Configure(TeehouseConfig config)
    {
        base.Configure(config);
        config.Tiers["FREE"] = new() { MaxInstances = 1 };
        config.Tiers["VCPU4"] = new() { MaxVcpu = 4 };
        config.Tiers["SOAK"] = new() { MaxInstances = SoakLimit };
    }

    private static void AssertInstanceLimit(Answer refused, string what)
    {
        Assert.True(refused.Status == HttpStatusCode.Forbidden, $"{what}: expected 403 (instance limit), got {refused}");
        Assert.Matches("(?i)(CVMs|instance)", refused.Detail);
    }

    [Fact]
    public async Task The_instance_limit_holds_at_commit_when_both_provisions_came_first()
    {
        using var fay = await UserAsync("fay-free", tier: "FREE");
        var one = await ProvisionAsync(fay, "free-one");
        var two = await ProvisionAsync(fay, "free-two"); // nothing live yet: provision allows it

        var first = await CommitAsync(fay, one);
        Assert.True(first.Status == HttpStatusCode.OK, $"first commit: {first}");
        var second = await CommitAsync(fay, two);
        AssertInstanceLimit(second, "second commit over MaxInstances = 1");
        Assert.Single(SimVms());
        Assert.Empty(SimVmsOfApp(two.GetProperty("app_id").GetString()!));
        Assert.Single(await LiveCvmsAsync(fay));
    }

    [Fact]
    public async Task The_instance_limit_holds_for_two_concurrent_commits()
    {
        using var fay = await UserAsync("fay-free", tier: "FREE");
        var provisions = new[] { await ProvisionAsync(fay, "free-one"), await ProvisionAsync(fay, "free-two") };

        SlowVmm();
        var answers = await AllAtOnceAsync(provisions.Select(p => (Func<Task<Answer>>)(() => CommitAsync(fay, p))));
        NormalVmm();

        var summary = string.Join(" | ", answers.Select(a => a.ToString()));
        Assert.True(answers.Count(a => a.Status == HttpStatusCode.OK) == 1, $"expected exactly one 200: {summary}");
        AssertInstanceLimit(answers.Single(a => a.Status != HttpStatusCode.OK), "the other concurrent commit");
        Assert.Single(SimVms());
        Assert.Single(await LiveCvmsAsync(fay));
    }

    [Fact]
    public async Task Credits_are_checked_again_at_commit()
    {
        using var carl = await UserAsync("carl-broke");
        var p = await ProvisionAsync(carl, "broke-app");
        await new UserStore(_app.Db).SetCreditsAsync("carl-broke", 0m);

        var commit = await CommitAsync(carl, p);
        Assert.True(commit.Status == HttpStatusCode.Forbidden, $"commit with credits 0: expected 403, got {commit}");
        Assert.Contains("credit", commit.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(SimVms());
        Assert.Empty(await LiveCvmsAsync(carl));
    }

    [Fact]
    public async Task The_vcpu_limit_holds_at_commit()
    {
        using var vic = await UserAsync("vic-vcpu", tier: "VCPU4");
        var one = await ProvisionAsync(vic, "vcpu-one", bodyExtra: ", \"vcpu\": 3");
        var two = await ProvisionAsync(vic, "vcpu-two", bodyExtra: ", \"vcpu\": 3"); // 3 fits alone, 3 + 3 does not

        var first = await CommitAsync(vic, one);
        Assert.True(first.Status == HttpStatusCode.OK, $"first commit: {first}");
        var second = await CommitAsync(vic, two);
        Assert.True(second.Status == HttpStatusCode.Forbidden, $"second commit over MaxVcpu = 4: expected 403, got {second}");
        Assert.Contains("vCPU", second.Detail);
        Assert.Single(SimVms());
        Assert.Equal(3u, SimVms().Single().Vcpu);
    }

    [Fact]
    public async Task Fifty_concurrent_commits_never_take_a_user_past_the_limit()
    {
        var users = new List<(string Name, HttpClient Client)>();
        for (var u = 0; u < SoakUsers; u++) users.Add(($"soak{u}", await UserAsync($"soak{u}", tier: "SOAK")));

        // Everything is provisioned first (nothing is live, so every provision is allowed) ...
        var provisions = (await Task.WhenAll(users.SelectMany(user => Enumerable.Range(0, SoakProvisionsPerUser).Select(async j =>
            (user.Name, Provision: await ProvisionAsync(user.Client, $"{user.Name}-app-{j:00}")))))).ToList();

        // ... then 50 clients (one connection pool each) commit at once against a slow vmm.
        var clients = new List<HttpClient>();
        foreach (var (name, _) in provisions)
        {
            var client = _app.Client(await _app.CreateTokenAsync(name), apiKeyHeader: true);
            clients.Add(client);
        }
        SlowVmm();
        var answers = await AllAtOnceAsync(provisions.Select((p, i) =>
            (Func<Task<(string User, Answer Answer)>>)(async () => (p.Name, await CommitAsync(clients[i], p.Provision)))));
        NormalVmm();
        foreach (var c in clients) c.Dispose();

        var problems = new List<string>();
        foreach (var (name, client) in users)
        {
            var mine = answers.Where(a => a.User == name).Select(a => a.Answer).ToList();
            var ok = mine.Count(a => a.Status == HttpStatusCode.OK);
            var atSim = SimVms(v => v.Name.StartsWith($"{name}-", StringComparison.Ordinal)).Count;
            var listed = (await LiveCvmsAsync(client)).Count;
            if (atSim > SoakLimit) problems.Add($"{name}: {atSim} VMs at the simulator (limit {SoakLimit})");
            if (listed > SoakLimit) problems.Add($"{name}: {listed} live CVMs listed (limit {SoakLimit})");
            if (ok != SoakLimit) problems.Add($"{name}: {ok} commits answered 200, expected exactly {SoakLimit}");
            if (atSim != ok || listed != ok) problems.Add($"{name}: {ok} answered 200 but {atSim} VMs at the simulator and {listed} listed");
            foreach (var refused in mine.Where(a => a.Status != HttpStatusCode.OK))
            {
                if (refused.Status != HttpStatusCode.Forbidden) problems.Add($"{name}: a refused commit answered {refused}");
                else if (!System.Text.RegularExpressions.Regex.IsMatch(refused.Detail, "(?i)(CVMs|instance)"))
                    problems.Add($"{name}: a 403 does not name the instance limit: {refused.Detail}");
            }
        }
        Assert.True(problems.Count == 0,
            $"{problems.Count} problems ({SimVms().Count} VMs at the simulator in all, {answers.Count(a => a.Answer.Status == HttpStatusCode.OK)} answered 200):\n"
            + string.Join("\n", problems.Distinct()));
        Assert.Equal(SoakUsers * SoakLimit, SimVms().Count);
    }
}
