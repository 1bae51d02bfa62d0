using Teehouse.Lite.Shared;

namespace Teehouse.Lite.Kms;

/// <summary>
/// <c>GET /kms</c>. The SDK parses this envelope with a <c>.strict()</c> schema: these five keys and no other, or the
/// official client rejects the answer.
/// </summary>
public sealed record KmsListResponse(List<KmsInfo> Items, int Total, long Page, int PageSize, int Pages);

/// <summary>
/// <c>GET /kms/{kms}/pubkey/{app_id}</c>, also <c>.strict()</c> in the SDK: exactly these two keys. Both are lowercase
/// hex without <c>0x</c>, as the KMS itself returns them (see <see cref="EnvEncryptKeys"/>).
/// </summary>
public sealed record EnvEncryptPubkeyResponse(string PublicKey, string Signature);

/// <summary>
/// <c>GET /kms/pins</c> (admins only; not part of the official API): which k256 key each KMS's env-encryption keys
/// must be signed by. The official KMS schemas are left exactly as they are.
/// </summary>
public sealed record KmsPinsResponse(List<KmsPinView> Items, int Total);

/// <summary>
/// One KMS's pin. <c>kms_id</c> is null for a pin recorded for a URL no catalog entry has any more. <c>source</c> is
/// <c>config</c> (its <c>k256_pubkey</c>), <c>first_use</c> (read from its GetMeta when first needed, <c>learned_*</c>
/// say when and from where) or null (not pinned yet: the next key request pins it, or fails if the KMS cannot be read).
/// <c>last_mismatch_*</c>: the last key seen signed by another k256 key, which was refused.
/// </summary>
public sealed record KmsPinView(
    string? KmsId, string Url, string? K256Pubkey, string? Source, string? LearnedAt, string? LearnedFrom,
    string? LastMismatchK256Pubkey, string? LastMismatchAt, string? LastMismatchFrom);
