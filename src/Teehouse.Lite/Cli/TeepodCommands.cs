using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Teehouse.Lite.Infrastructure.Database;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;
using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Cli;

public static class TeepodCommands
{
    public const string DefaultName = "local";

    public static Command Create(CliIo io) => new("teepod", "Register dstack-vmm hosts as teepods.") { AddLocalCommand(io) };

    private static Command AddLocalCommand(CliIo io)
    {
        var config = CommonOptions.Config();
        var vmmConfig = new Option<string?>("--vmm-config")
        {
            Description = $"The dstack-vmm config (default: {string.Join(" then ./", VmmToml.DefaultFiles)}, merged as dstack-vmm does)",
            HelpName = "FILE",
        };
        var name = new Option<string?>("--name") { Description = $"Teepod name (default: {DefaultName})", HelpName = "NAME" };
        var command = new Command("add-local",
            "Register the dstack-vmm on this host from its vmm.toml (address, [auth] token, kms_url, [gateway]); " +
            "a teepod already registered at that address is updated.") { vmmConfig, name, config };
        command.SetAction(async (parsed, ct) =>
        {
            var vmm = LoadVmmToml(parsed.GetValue(vmmConfig));
            var endpoint = vmm.Endpoint();
            if (!DstackClientFactory.TryValidateEndpoint(endpoint, out var why))
                throw new CliException($"{vmm.Files[^1]}: address '{vmm.Address}' gives endpoint {endpoint}: {why}");

            var (settings, db) = await CommonOptions.OpenAsync(parsed.GetValue(config), io);
            using var clients = new DstackClientFactory(TimeSpan.FromMilliseconds(settings.Vmm.RequestTimeoutMs));
            var store = new TeepodStore(db);
            var probe = new TeepodProbe(clients, settings, NullLogger<TeepodProbe>.Instance);
            var teepodName = parsed.GetValue(name);
            var tokenNote = vmm.AuthToken is null ? "" : " with the [auth] token";
            try
            {
                if (await store.FindConflictAsync(null, endpoint) is { } existing)
                {
                    // Probe with the file's credentials first: an update must not store a token the vmm refuses.
                    var credentials = vmm.AuthToken is null ? null : VmmCredentials.Bearer(vmm.AuthToken);
                    var snapshot = await probe.SnapshotAsync(endpoint, credentials, ct, label: TeepodClients.Label(existing.Name),
                        imagePath: vmm.ImagePath);
                    if (!await store.UpdateAsync(existing.Id, teepodName, null, null, null,
                            setAuth: true, authToken: vmm.AuthToken, authUsername: null, authPassword: null))
                        throw new CliException($"a teepod named '{teepodName}' already exists");
                    await store.SetLocalPathsAsync(existing.Id, vmm.ImagePath, vmm.RunPath);
                    // What the probe saw (image digests read from the new image_path among it) is shown at once.
                    await store.RecordPingAsync(existing.Id, snapshot, Clock.NowText());
                    io.Out.WriteLine($"Updated teepod {existing.Id} ('{teepodName ?? existing.Name}') at {endpoint}{tokenNote}: " +
                        $"dstack-vmm {snapshot.Version}, {snapshot.Images.Count} images, {snapshot.Use.VmCount} VMs");
                    return ExitCodes.Ok;
                }
                var request = new RegisterTeepodRequest(teepodName ?? DefaultName, endpoint, RegionIdentifier: null,
                    KmsEndpoint: vmm.KmsUrl, TproxyEndpoint: null, TproxyBaseDomain: vmm.GatewayBaseDomain,
                    TproxyPort: (int?)vmm.GatewayPort, TproxyTappdPort: (int?)vmm.GatewayAgentPort,
                    AuthToken: vmm.AuthToken, Listed: null);
                var stored = await new TeepodRegistration(store, probe).RegisterAsync(request, ct, new LocalPaths(vmm.ImagePath, vmm.RunPath));
                io.Out.WriteLine($"Registered teepod {stored.Id} ('{stored.Name}') at {endpoint}{tokenNote}: " +
                    $"dstack-vmm {stored.TeepodVersion}, {stored.VmCount} VMs" + (stored.KmsUrl is null ? "" : $", KMS {stored.KmsUrl}"));
                return ExitCodes.Ok;
            }
            catch (DstackException e)
            {
                throw new CliException(e.FullDetail); // the operator at the console: the whole story
            }
            catch (ApiException e)
            {
                throw new CliException(e.Message);
            }
        });
        return command;
    }

    private static VmmToml LoadVmmToml(string? file)
    {
        IReadOnlyList<string> files = file is not null
            ? [file]
            : VmmToml.DefaultFiles.Where(File.Exists).ToList();
        if (files.Count == 0)
            throw new CliException($"no vmm.toml found (looked for ./{VmmToml.DefaultFiles[1]} and {VmmToml.DefaultFiles[0]}); pass --vmm-config FILE");
        if (file is not null && !File.Exists(file)) throw new CliException($"{file}: no such file");
        try
        {
            return VmmToml.Load(files);
        }
        catch (FileNotFoundException e)
        {
            throw new CliException(e.Message);
        }
        catch (VmmTomlException e)
        {
            throw new CliException(e.Message, ExitCodes.Usage);
        }
    }
}
