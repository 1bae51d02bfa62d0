using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Upgrades;

/// <summary>
/// <c>POST /cvms/{id}/compose_file/provision</c>: the app id stays the CVM's, <c>device_id</c> is null (no on-chain device
/// allow-list) and the hash counts as registered (the off-chain KMS has no registry to wait for).
/// </summary>
public sealed record ComposeUpdateProvisionResponse(
    string AppId,
    string? DeviceId,
    string ComposeHash,
    KmsInfo? KmsInfo,
    bool ComposeHashRegistered,
    string ExpiresAt);

/// <summary>
/// <c>PATCH /cvms/{id}/compose_file</c>, as the SDK's <c>commitCvmComposeFileUpdate</c> sends it. <c>env_keys</c> and
/// <c>update_env_vars</c> are accepted and not used: the allowed_envs are fixed by the provisioned bytes.
/// </summary>
public sealed record CommitComposeUpdateRequest(string? ComposeHash, string? EncryptedEnv, List<string>? EnvKeys, bool? UpdateEnvVars);

/// <summary>The (ignored by the SDK) answer to a committed compose update.</summary>
public sealed record CommitComposeUpdateResponse(
    string Status, string Message, string CorrelationId, string ComposeHash, string AppId, bool Restarting);

/// <summary><c>PATCH /cvms/{id}/envs</c>, as the SDK's <c>updateCvmEnvs</c> sends it.</summary>
public sealed record UpdateCvmEnvsRequest(string? EncryptedEnv, List<string>? EnvKeys, string? ComposeHash, string? TransactionHash);

/// <summary>The SDK's <c>UpdateCvmEnvsInProgressSchema</c> (a plain object: exactly these four keys matter).</summary>
public sealed record UpdateCvmEnvsResponse(string Status, string Message, string CorrelationId, bool AllowedEnvsChanged);

/// <summary>
/// The answer to an applied <c>PATCH /cvms/{id}</c> (the SDK's <c>patchCvm</c> / <c>confirmCvmPatch</c> read
/// <c>correlation_id</c>) and to <c>POST /cvms/{id}/commit-update</c> (<c>commitCvmUpdate</c> reads it and <c>status</c>).
/// </summary>
public sealed record CvmPatchResponse(string CorrelationId, string Status, string Message, string ComposeHash, bool Restarting);

/// <summary><c>POST /cvms/{id}/commit-update</c>, as the SDK's <c>commitCvmUpdate</c> sends it.</summary>
public sealed record CommitCvmUpdateRequest(string? Token, string? ComposeHash, string? TransactionHash);
