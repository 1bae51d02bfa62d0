using System.Net;
using System.Text.Json;

namespace Teehouse.Lite.Tests.Integrity;

/// <summary>
/// The same commit sent twice at the same moment (a client retry racing its original, a double click) creates exactly
/// one VM at the vmm. The vmm is slowed (<see cref="IntegrityStage.SlowVmm"/>) so the twins really overlap.
/// </summary>
public sealed class TwinCommitTests : IntegrityStage
{
    private const int Races = 20;

    [Fact]
    public async Task Twin_commits_of_one_provision_create_one_vm_and_both_answer_that_cvm()
    {
        using var dana = await UserAsync("twins");
        var provisions = new List<JsonElement>();
        for (var i = 0; i < Races; i++) provisions.Add(await ProvisionAsync(dana, $"twin-{i:00}"));
        Assert.Equal(Races, provisions.Select(p => p.GetProperty("app_id").GetString()).Distinct().Count());

        // The widest delay the budget allows: twins that miss each other (one finishing before the other looks) prove nothing.
        SlowVmm(TimeSpan.FromMilliseconds(500));
        // Both twins carry the very same body (one encryption of the env), as a retried request does.
        var answers = await AllAtOnceAsync(provisions.SelectMany((p, race) =>
        {
            var body = CommitBody(p);
            return new[] { 0, 1 }.Select(_ => (Func<Task<(int Race, Answer Answer)>>)(async () => (race, await CommitBodyAsync(dana, body))));
        }));
        NormalVmm();

        var problems = new List<string>();
        foreach (var race in answers.GroupBy(a => a.Race).OrderBy(g => g.Key))
        {
            var appId = provisions[race.Key].GetProperty("app_id").GetString()!;
            var vms = SimVmsOfApp(appId).Count;
            var pair = race.Select(r => r.Answer).ToList();
            if (vms != 1) problems.Add($"race {race.Key}: {vms} VMs at the simulator for app {appId}");
            if (pair.Any(a => a.Status != HttpStatusCode.OK))
                problems.Add($"race {race.Key}: not both 200: {string.Join(" | ", pair.Select(a => Short(a)))}");
            else if (pair.Select(a => a.Json.GetProperty("id").GetInt64()).Distinct().Count() != 1)
                problems.Add($"race {race.Key}: two CVM ids {string.Join(", ", pair.Select(a => a.Json.GetProperty("id").GetInt64()))}");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {Races} races:\n{string.Join("\n", problems)}");
        Assert.Equal(Races, SimVms().Count);
        Assert.Equal(Races, (await LiveCvmsAsync(dana)).Count);
    }

    [Fact]
    public async Task Twin_commits_of_one_instance_token_create_one_vm()
    {
        using var dana = await UserAsync("twins");
        var first = await DeployAsync(dana, "inst-app");
        var appId = first.GetProperty("app_id").GetString()!;

        var tokens = new List<string>();
        for (var i = 0; i < Races; i++)
            tokens.Add(PreparedField(await InstanceAsync(dana, appId, prepareOnly: true), "commit_token").GetString()!);
        Assert.Single(SimVmsOfApp(appId)); // preparing creates nothing

        SlowVmm();
        var answers = await AllAtOnceAsync(tokens.SelectMany((token, race) => new[] { 0, 1 }.Select(_ =>
            (Func<Task<(int Race, Answer Answer)>>)(async () => (race, await InstanceAsync(dana, appId, $$"""{"token": "{{token}}"}"""))))));
        NormalVmm();

        var problems = new List<string>();
        foreach (var race in answers.GroupBy(a => a.Race).OrderBy(g => g.Key))
        {
            var pair = race.Select(r => r.Answer).ToList();
            var ok = pair.Where(a => a.Status == HttpStatusCode.OK).ToList();
            if (ok.Count == 0) problems.Add($"race {race.Key}: no 200: {string.Join(" | ", pair.Select(a => Short(a)))}");
            else if (ok.Count == 2 && ok[0].Json.GetProperty("id").GetInt64() != ok[1].Json.GetProperty("id").GetInt64())
                problems.Add($"race {race.Key}: two CVMs {ok[0].Json.GetProperty("id").GetInt64()} and {ok[1].Json.GetProperty("id").GetInt64()}");
            else if (ok.Count == 1 && pair.Single(a => a.Status != HttpStatusCode.OK).Status != HttpStatusCode.Conflict)
                problems.Add($"race {race.Key}: the loser is neither 200 (same CVM) nor 409: {Short(pair.Single(a => a.Status != HttpStatusCode.OK))}");
        }
        // Exactly one VM per token: the first instance plus one per race.
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {Races} races:\n{string.Join("\n", problems)}");
        Assert.Equal(1 + Races, SimVmsOfApp(appId).Count);
        Assert.Equal(1 + Races, (await LiveCvmsAsync(dana)).Count);
    }

    [Fact]
    public async Task Twin_commit_updates_of_one_prepared_patch_apply_it_once()
    {
        const int cvms = 5;
        using var dana = await UserAsync("twins");
        var prepared = new List<(string VmUuid, string Token, string Hash)>();
        for (var i = 0; i < cvms; i++)
        {
            var vm = await DeployAsync(dana, $"patch-{i:00}");
            var vmUuid = vm.GetProperty("vm_uuid").GetString()!;
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/cvms/{vmUuid}")
            {
                Content = Json.Body($$"""{"docker_compose_file": "{{JsonEncodedText.Encode($"services:\n  web:\n    image: nginx:1.{30 + i}\n")}}"}"""),
            };
            request.Headers.Add("X-Prepare-Only", "true");
            var answer = await Answer.ReadAsync(await dana.SendAsync(request, Ct));
            prepared.Add((vmUuid, PreparedField(answer, "commit_token").GetString()!, PreparedField(answer, "compose_hash").GetString()!));
        }
        var updatesBefore = _sim.State.CallCount("UpdateVm") + _sim.State.CallCount("UpgradeApp");

        SlowVmm();
        var answers = await AllAtOnceAsync(prepared.SelectMany((p, race) => new[] { 0, 1 }.Select(_ =>
            (Func<Task<(int Race, Answer Answer)>>)(async () => (race, await Answer.ReadAsync(await dana.PostAsync(
                $"/api/v1/cvms/{p.VmUuid}/commit-update",
                Json.Body($$"""{"token": "{{p.Token}}", "compose_hash": "{{p.Hash}}", "transaction_hash": "0xabc"}"""), Ct)))))));
        NormalVmm();

        var problems = new List<string>();
        foreach (var race in answers.GroupBy(a => a.Race).OrderBy(g => g.Key))
        {
            var pair = race.Select(r => r.Answer).ToList();
            if (!pair.Any(a => a.Status == HttpStatusCode.Accepted))
                problems.Add($"race {race.Key}: no 202: {string.Join(" | ", pair.Select(a => Short(a)))}");
            if (pair.Any(a => a.Status is not (HttpStatusCode.Accepted or HttpStatusCode.Conflict)))
                problems.Add($"race {race.Key}: neither 202 nor 409: {string.Join(" | ", pair.Select(a => Short(a)))}");
            var p = prepared[race.Key];
            var vm = _sim.State.GetVm(p.VmUuid);
            if (vm is null || Sha256(vm.ComposeFile) != p.Hash) problems.Add($"race {race.Key}: the VM does not run the prepared compose");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {cvms} races:\n{string.Join("\n", problems)}");
        // One UpdateVm per prepared update: every race applied its update exactly once.
        Assert.Equal(cvms, _sim.State.CallCount("UpdateVm") + _sim.State.CallCount("UpgradeApp") - updatesBefore);
    }

    private static string Short(Answer a) => a.Body.Length > 200 ? $"{(int)a.Status} {a.Body[..200]}…" : a.ToString();
}
