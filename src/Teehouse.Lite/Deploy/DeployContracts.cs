using System.Text.Json.Nodes;
using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Deploy;

/// <summary>POST /cvms/provision, as the official SDK sends it (node_id arrives as teepod_id). All nullable: one 422 lists every problem.</summary>
public sealed record ProvisionCvmRequest(
    string? Name,
    long? TeepodId,
    long? NodeId,
    string? Region,
    string? InstanceType,
    string? Image,
    int? Vcpu,
    int? Memory,
    int? DiskSize,
    JsonObject? ComposeFile,
    bool? Listed,
    string? KmsId,
    string? Kms,
    string? KmsContract,
    List<string>? EnvKeys,
    long? Nonce,
    string? AppId);

/// <summary>What the client needs to encrypt its env and commit: the hash that fixes the compose, the app id, the key.</summary>
public sealed record ProvisionCvmResponse(
    string ComposeHash,
    string AppId,
    string? AppEnvEncryptPubkey,
    KmsInfo? KmsInfo,
    string? Fmspc,
    string? DeviceId,
    string? OsImageHash,
    string? InstanceType,
    long TeepodId,
    long NodeId,
    string? KmsId,
    string Image,
    int Vcpu,
    int Memory,
    int DiskSize,
    string ExpiresAt);

/// <summary>POST /cvms: commits a provision, identified by app_id + compose_hash.</summary>
public sealed record CommitCvmRequest(
    string? AppId,
    string? ComposeHash,
    string? EncryptedEnv,
    string? KmsId,
    string? ContractAddress,
    string? DeployerAddress,
    List<string>? EnvKeys);
