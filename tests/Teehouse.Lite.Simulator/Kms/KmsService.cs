using Teehouse.Lite.Simulator.Prpc;
using Teehouse.Lite.Simulator.Vmm;

namespace Teehouse.Lite.Simulator.Kms;

/// <summary>KMS GetMeta response (kms_rpc.proto); bootstrap_info stays null as on a KMS without a bootstrap record.</summary>
internal sealed record KmsGetMetaResponse(
    string CaCert,
    bool AllowAnyUpgrade,
    [property: System.Text.Json.Serialization.JsonPropertyName("k256_pubkey")] string K256Pubkey,
    object? BootstrapInfo,
    bool IsDev,
    string? GatewayAppId,
    string? KmsContractAddress,
    ulong? ChainId,
    string? AppAuthImplementation);

/// <summary>The public part of dstack's <c>KMS</c> service (kms_rpc.proto), mounted at <c>/kms/prpc</c>.</summary>
internal sealed class KmsService : IPrpcService
{
    private readonly SimulatorState _state;
    private readonly Dictionary<string, PrpcMethod> _methods;

    public KmsService(SimulatorState state)
    {
        _state = state;
        _methods = new Dictionary<string, PrpcMethod>(StringComparer.Ordinal)
        {
            ["GetMeta"] = new("Empty", _ => GetMeta()),
            ["GetAppEnvEncryptPubKey"] = new("AppId", m => EnvEncryptPubKey(m.Bytes("app_id"))),
        };
    }

    public string TrimPrefix => "KMS.";

    public bool TryGetMethod(string name, out PrpcMethod method) => _methods.TryGetValue(name, out method!);

    public PublicKeyResponse EnvEncryptPubKey(byte[] appId)
    {
        // Only next checks the length (next kms/src/main_service/upgrade_authority.rs:45-50); released KMS derive a key
        // for whatever bytes they get (v0.5.11 kms/src/main_service.rs get_app_env_encrypt_pub_key).
        if (_state.Profile.KmsRequires20ByteAppId && appId.Length != 20)
        {
            throw new PrpcException("app_id must be 20 bytes");
        }

        var timestamp = (ulong)_state.Now.ToUnixTimeSeconds();
        var (publicKey, signature, ts, signatureV1) = _state.Kms.EnvEncryptPubKey(appId, timestamp);
        return new PublicKeyResponse(
            HexBytes.Encode(publicKey),
            HexBytes.Encode(signature),
            ts,
            HexBytes.Encode(signatureV1));
    }

    private KmsGetMetaResponse GetMeta()
    {
        var o = _state.Options;
        return new KmsGetMetaResponse(
            _state.Kms.CaCertPem,
            o.KmsIsDev,
            HexBytes.Encode(_state.Kms.Signer.CompressedPublicKey),
            null,
            o.KmsIsDev,
            o.KmsGatewayAppId,
            o.KmsContractAddress,
            o.KmsChainId,
            o.KmsAppAuthImplementation);
    }
}
