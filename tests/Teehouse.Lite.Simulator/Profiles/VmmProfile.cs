namespace Teehouse.Lite.Simulator.Profiles;

/// <summary>
/// Which dstack release the simulator answers as (dstack-vmm plus the KMS and gateway of the same release). Every
/// flag is derived from the version and names the behaviour that differs; the comment cites where upstream
/// (Dstack-TEE/dstack) it was read. "next" is the unreleased branch (Cargo version 0.6.0), what the simulator
/// modelled before profiles existed.
/// </summary>
public sealed record VmmProfile
{
    /// <summary>The profiles the simulator knows, oldest first.</summary>
    public static IReadOnlyList<string> Known { get; } = ["0.3.6", "0.4.2", "0.5.5", "0.5.6", "0.5.11", "next"];

    public const string Newest = "0.5.11";

    // git describe --always --abbrev=20 of the tag commit (tags are lightweight, so describe yields the hash):
    // vmm/src/main.rs GIT_REV (git_version!, prefix "git:").
    private static readonly Dictionary<string, string> Revs = new(StringComparer.Ordinal)
    {
        ["0.3.6"] = "git:3f7fa421d62ee369fe8c",
        ["0.4.2"] = "git:08cd5bb869950007f050",
        ["0.5.5"] = "git:7bf1843a8ddf877fbaeb",
        ["0.5.6"] = "git:3a456dd6e332509f97e7",
        ["0.5.11"] = "git:40eaf35e6b3f112998d0",
        ["next"] = "git:312dc605ebaaf9337253",
    };

    private VmmProfile(string name)
    {
        Name = name;
        ReportedVersion = name == "next" ? "0.6.0" : name; // next: dstack/Cargo.toml version = "0.6.0"
        Rev = Revs[name];
        V = System.Version.Parse(ReportedVersion);
    }

    /// <summary>Profile name as given: "0.5.5" … or "next".</summary>
    public string Name { get; }

    /// <summary>CARGO_PKG_VERSION: what <c>Version.version</c> and <c>X-App-Version</c> carry.</summary>
    public string ReportedVersion { get; }

    /// <summary><c>Version.rev</c> of that release's build.</summary>
    public string Rev { get; }

    private Version V { get; }

    public bool IsNext => Name == "next";

    private bool AtLeast(int major, int minor, int patch) => V >= new Version(major, minor, patch);

    // ----- transport (ra-rpc) -------------------------------------------------------------------------------

    /// <summary>0.3.x: methods keep their service name (<c>Teepod.Status</c>, <c>KMS.GetMeta</c>): v0.3.6
    /// teepod/rpc/build.rs has no disable_service_name_emission and teepod/src/main.rs:50 mounts without trim.</summary>
    public bool ServicePrefixRequired => !AtLeast(0, 4, 0);

    /// <summary>0.3.x: an unknown method is HTTP 404 <c>{"error":"method Not Found"}</c> (v0.3.6 ra-rpc/src/lib.rs:75);
    /// 0.4.2+ it is 400 <c>Service not found: M</c> (prpc-build 0.6.1 server.rs <c>bail!("Service not found: {path}")</c>).</summary>
    public bool UnknownMethodIs404 => !AtLeast(0, 4, 0);

    /// <summary>0.3.x answers pRPC through Rocket's <c>Vec&lt;u8&gt;</c> responder, i.e. application/octet-stream
    /// (v0.3.6 ra-rpc/src/rocket_helper.rs:312 <c>Custom(Status, Vec&lt;u8&gt;)</c>).</summary>
    public bool PrpcAnswersOctetStream => !AtLeast(0, 4, 0);

    /// <summary>0.4.x–0.5.5 render errors with anyhow Debug <c>{err:?}</c> ("outer\n\nCaused by:\n    …")
    /// (v0.4.2 ra-rpc/src/lib.rs:70, v0.5.5 :74); 0.5.6+ use <c>{:#}</c>, one line (v0.5.6 ra-rpc/src/lib.rs:86).</summary>
    public bool MultiLineErrors => !AtLeast(0, 5, 6);

    // ----- auth and /logs -------------------------------------------------------------------------------------

    /// <summary>next: <c>[auth]</c> guards every route (next dstack/vmm/src/main.rs:115-122, crates/api-auth). Released:
    /// rocket-apitoken's <c>Authorized</c> guard sits only on <c>GET /logs</c> (v0.5.11 vmm/src/main_routes.rs:109,
    /// v0.4.2 :75), exact match of the whole Authorization header with "Bearer &lt;token&gt;" (rocket-apitoken src/lib.rs).</summary>
    public bool AuthGuardsWholeApi => IsNext;

    /// <summary>Released: /logs always answers 200 and streams what it has: "Unknown channel X" as text, and for an
    /// unknown VM whatever <c>tail</c> prints on stdout, i.e. nothing (v0.5.11 main_routes.rs:117-145; tailf 0.1.2
    /// spawns <c>tail</c> with stderr null). next: 404 <c>VM not found</c> / 400 (next main_routes.rs:101-131).</summary>
    public bool LogsErrorsAsText => !IsNext;

    // ----- method set ---------------------------------------------------------------------------------------

    /// <summary><c>rpc UpdateVm</c> from 0.5.6 (v0.5.6 vmm_rpc.proto:312); UpgradeApp becomes its alias taking
    /// UpdateVmRequest (v0.5.6 main_service.rs upgrade_app → update_vm).</summary>
    public bool HasUpdateVm => AtLeast(0, 5, 6);

    /// <summary><c>rpc ReloadVms</c> from 0.5.6 (v0.5.6 vmm_rpc.proto:341).</summary>
    public bool HasReloadVms => AtLeast(0, 5, 6);

    /// <summary><c>rpc GetComposeHash</c> from 0.5.2 (absent in v0.5.1 vmm_rpc.proto, v0.5.5 :249).</summary>
    public bool HasGetComposeHash => AtLeast(0, 5, 2);

    // ----- VM lifecycle semantics ---------------------------------------------------------------------------

    /// <summary>≤0.5.6: RemoveVm bails <c>VM is running, stop it first</c> while the supervisor process runs and then
    /// removes synchronously; an unknown id fails in remove_dir_all (v0.5.5 app.rs:260-294, v0.5.6 app.rs:278-312).</summary>
    public bool RemoveRefusesRunning => !AtLeast(0, 5, 7);

    /// <summary>0.5.7+: RemoveVm marks "removing", cleans up in the background, unknown id → <c>VM not found</c>
    /// (v0.5.7 app.rs:276-306).</summary>
    public bool AsyncRemove => AtLeast(0, 5, 7);

    /// <summary>next only: ids are checked (<c>invalid VM id</c>); no released main_service.rs/app.rs has validate_vm_id.</summary>
    public bool ValidatesVmIds => IsNext;

    /// <summary>next only: duplicate or cross-VM host port mappings are refused ("duplicate host port mapping",
    /// "host port mapping conflicts with VM"); no released main_service.rs/app.rs has these checks.</summary>
    public bool ChecksPortConflicts => IsNext;

    /// <summary>next only: CreateVm/StartVm/UpdateVm also check compose verity_volumes, key_provider and simulated_tee
    /// ("volumes requested but cvm.volumes_dir…", "invalid app compose JSON", "Failed to get app compose"); none of
    /// these texts exists in any released vmm/src.</summary>
    public bool ChecksComposeExtensions => IsNext;

    /// <summary>0.4.x: CreateVm always starts the VM (v0.4.2 main_service.rs:129 set_started(true)); <c>stopped</c>
    /// exists from 0.5.4 (v0.5.4 vmm_rpc.proto:85).</summary>
    public bool CreateCanStayStopped => AtLeast(0, 5, 4);

    /// <summary>VmConfiguration.kms_urls/gateway_urls from 0.5.2 (v0.5.2 vmm_rpc.proto:77-79).</summary>
    public bool HasPerVmUrls => AtLeast(0, 5, 2);

    /// <summary>VmConfiguration.no_tee and optional networking {mode} from 0.5.6 (v0.5.6 vmm_rpc.proto:101-103).</summary>
    public bool HasNoTeeAndNetworking => AtLeast(0, 5, 6);

    /// <summary>next only: VmConfiguration.networks/simulated_tee, NetworkingConfig.bridge_name, VmInfo.interfaces,
    /// UpdateVmRequest.update_networking, GetMeta.networking (diff v0.5.11 → next dstack/vmm/rpc/proto/vmm_rpc.proto).</summary>
    public bool HasMultiNetworking => IsNext;

    /// <summary>0.4.x: <c>repeated GpuSpec gpus = 13</c> with GpuSpec{product_id, slot}, taken verbatim (v0.4.2
    /// vmm_rpc.proto:71-77, main_service.rs:113-122, app/qemu.rs:128-136); GpuConfig object from 0.5.0.</summary>
    public bool GpusAsArray => !AtLeast(0, 5, 0);

    /// <summary>≤0.5.5: any GpuConfig, even empty, needs cvm.gpu.enabled (v0.5.5 main_service.rs:69-70); 0.5.6+
    /// only a non-empty one (v0.5.6 main_service.rs:73).</summary>
    public bool EmptyGpuConfigNeedsGpus => !AtLeast(0, 5, 6);

    /// <summary>≤0.5.5: names are Unicode alphanumerics, '-' and '_' only (v0.5.5 main_service.rs:55-63); 0.5.6 adds
    /// ". space @ ~ ! $ ^ ( )" and requires ASCII (v0.5.6 main_service.rs:55-67).</summary>
    public bool NamesAllowPunctuation => AtLeast(0, 5, 6);

    /// <summary>0.4.x: UpgradeApp reloads (and so re-reads the manifest) only with update_ports (v0.4.2
    /// main_service.rs:197-249 need_reload); from 0.5.0 it always reads the manifest and reloads.</summary>
    public bool UpgradeAppReloadsOnlyForPorts => !AtLeast(0, 5, 0);

    /// <summary>UpgradeAppRequest.gpus from 0.5.0 (v0.5.5 vmm_rpc.proto:124; absent in v0.4.2 :92-105).</summary>
    public bool UpgradeAppTakesGpus => AtLeast(0, 5, 0);

    /// <summary>≤0.5.5: ResizeVm looks the VM up first (<c>vm not found</c>) and needs it stopped even for a no-op
    /// (v0.5.5 main_service.rs:367-379); 0.5.6+ reads the manifest first and checks state only when something
    /// changes (v0.5.11 main_service.rs:235-254, 485-498).</summary>
    public bool ResizeChecksVmFirst => !AtLeast(0, 5, 6);

    /// <summary>next only: ResizeVm refuses empty/zero requests ("resize request contains no updates" …).</summary>
    public bool ResizeValidatesRequest => IsNext;

    /// <summary>0.4.x: cvm.max_disk_size (default 500) bounds ResizeVm and is GetMeta.resources.max_disk_size_in_gb
    /// (v0.4.2 main_service.rs:307-309, 385; vmm.toml:24); gone from 0.5.4.</summary>
    public bool HasMaxDiskSize => !AtLeast(0, 5, 4);

    /// <summary>0.4.x app_url always carries ":port" (v0.4.2 app/qemu.rs:143-147); from 0.5.x port 443 is left out
    /// (v0.5.5 app/qemu.rs:167-176).</summary>
    public bool AppUrlOmits443 => AtLeast(0, 5, 0);

    /// <summary>app_url uses the VM's own gateway_urls[0] host/port from 0.5.6 (v0.5.6 app/qemu.rs:278-279).</summary>
    public bool AppUrlUsesVmGatewayUrl => AtLeast(0, 5, 6);

    // ----- message shapes -----------------------------------------------------------------------------------

    /// <summary>VmInfo.events from 0.5.6 (v0.5.6 vmm_rpc.proto:39).</summary>
    public bool VmInfoHasEvents => AtLeast(0, 5, 6);

    /// <summary>ListGpusResponse.allow_attach_all from 0.5.3 (v0.5.3 vmm_rpc.proto:217).</summary>
    public bool ListGpusHasAllowAttachAll => AtLeast(0, 5, 3);

    // ----- KMS and gateway of the same release ------------------------------------------------------------

    /// <summary>PublicKeyResponse.timestamp/signature_v1 from 0.5.6, in the KMS and in the vmm proxy
    /// (v0.5.6 kms/src/main_service.rs:281-321, vmm/src/main_service.rs:462-475, vmm_rpc.proto PublicKeyResponse).</summary>
    public bool KmsSignsV1 => AtLeast(0, 5, 6);

    /// <summary>next only: KMS refuses app ids that are not 20 bytes (next kms/src/main_service/upgrade_authority.rs:45-50).</summary>
    public bool KmsRequires20ByteAppId => IsNext;

    /// <summary>KMS GetMetaResponse is_dev … app_auth_implementation from 0.5.2 (v0.5.2 kms_rpc.proto:45-49; v0.4.2 kms_rpc.proto:36-41 has 4 fields).</summary>
    public bool KmsMetaHasAuthDetails => AtLeast(0, 5, 2);

    /// <summary>Gateway <c>rpc Info</c> from 0.5.4 (commit 9dea60b2; v0.5.5 gateway_rpc.proto:167).</summary>
    public bool GatewayHasInfo => AtLeast(0, 5, 4);

    /// <summary>Gateway InfoResponse.version from 0.5.6 (v0.5.6 gateway_rpc.proto:160).</summary>
    public bool GatewayInfoHasVersion => AtLeast(0, 5, 6);

    /// <summary>Resolves a profile name; anything else is a startup error naming the known ones.</summary>
    public static VmmProfile Parse(string? name)
    {
        var key = (name ?? Newest).Trim();
        if (key.StartsWith('v') && Known.Contains(key[1..], StringComparer.Ordinal))
        {
            key = key[1..];
        }

        return Known.Contains(key, StringComparer.Ordinal)
            ? new VmmProfile(key)
            : throw new ArgumentException(
                $"unknown dstack-vmm version profile '{name}' (known: {string.Join(", ", Known)})", nameof(name));
    }

    public override string ToString() => Name;
}
