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
