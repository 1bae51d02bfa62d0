using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Teehouse.Lite.Simulator.Prpc;

/// <summary>
/// The HTTP side of a pRPC mount (ra-rpc's rocket_helper): method-name trimming, JSON-mode detection,
/// the 10 MiB body limit, GET query payloads, and the 200/400 response conventions, as the profile's release
/// has them (service-name prefixes and 404s on 0.3.x, multi-line errors on 0.4.x–0.5.5).
/// </summary>
internal sealed class PrpcEndpoint(SimulatorState state, IPrpcService service, string counterPrefix)
{
    private const int BodyLimit = 10 * 1024 * 1024;
    private const string JsonContentType = "application/json";

    public async Task HandleAsync(HttpContext context, string rawMethod)
    {
        var request = context.Request;
        var isGet = HttpMethods.IsGet(request.Method);
        var jsonFlag = isGet || IsJsonFlag(request.Query["json"]);
        var isJson = jsonFlag || IsJsonContentType(request.ContentType);
        var profile = state.Profile;
        // 0.4.2+ strip the legacy service name (trim_start_matches); 0.3.x routes only names that carry it.
        var method = profile.ServicePrefixRequired
            ? rawMethod.StartsWith(service.TrimPrefix, StringComparison.Ordinal) ? rawMethod[service.TrimPrefix.Length..] : null
            : TrimPrefix(rawMethod, service.TrimPrefix);

        byte[] body = [];
        if (!isGet)
        {
            var read = await ReadBodyAsync(request, context.RequestAborted);
            if (read is null)
            {
                await WriteAsync(context, 400, PrpcJson.ErrorBody(
                    new PrpcException("failed to read data", "payload too large").Render(profile.MultiLineErrors)));
                return;
            }

            body = read;
        }

        if (!isJson)
        {
            await WriteAsync(context, 400, PrpcJson.ErrorBody("protobuf encoding is not supported by the simulator"));
            return;
        }

        if (method is null || !service.TryGetMethod(method, out var rpc))
        {
            if (profile.UnknownMethodIs404)
            {
                // prpc 0.5 Error::NotFound, mapped by v0.3.6 ra-rpc/src/lib.rs:75.
                await WriteAsync(context, 404, PrpcJson.ErrorBody("method Not Found"));
            }
            else
            {
                // prpc-build 0.6.1 generated dispatch: `_ => anyhow::bail!("Service not found: {path}")`.
                await WriteAsync(context, 400, PrpcJson.ErrorBody($"Service not found: {method}"));
            }

            return;
        }

        state.CountCall(counterPrefix + method);
        byte[] response;
        try
        {
            var input = ReadInput(rpc, isGet ? null : body, request.QueryString.Value);
            var result = rpc.Handler(input);
            response = result is null ? "null"u8.ToArray() : Serialize(result, profile);
        }
        catch (PrpcException e)
        {
            await WriteAsync(context, 400, PrpcJson.ErrorBody(e.Render(profile.MultiLineErrors)));
            return;
        }

        if (method == "CreateVm" && state.Options.CreateVmReplyDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(state.Options.CreateVmReplyDelay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the caller went away; the VM stays, as it would on a real host
            }
        }

        await WriteAsync(context, 200, response);
    }

    private static byte[] Serialize(object result, Profiles.VmmProfile profile)
    {
        var node = JsonSerializer.SerializeToNode(result, result.GetType(), PrpcJson.Compact);
        Profiles.WireShape.Apply(node, result, profile);
        return JsonSerializer.SerializeToUtf8Bytes(node, PrpcJson.Compact);
    }

    private static MessageReader ReadInput(PrpcMethod rpc, byte[]? body, string? query)
    {
        if (body is null)
        {
            return MessageReader.FromQuery(query, rpc.InputType);
        }

        if (rpc.InputType == "Empty")
        {
            // Only well-formedness matters for google.protobuf.Empty inputs.
            if (body.Length > 0)
            {
                SerdeErrors.ParseStrict(body);
            }

            return MessageReader.Empty(rpc.InputType);
        }

        return MessageReader.FromJson(body, rpc.InputType);
    }

    /// <summary>Rust's <c>trim_start_matches</c>: strips the prefix as many times as it repeats.</summary>
    private static string TrimPrefix(string method, string prefix)
    {
        while (prefix.Length > 0 && method.StartsWith(prefix, StringComparison.Ordinal))
        {
            method = method[prefix.Length..];
        }

        return method;
    }

    // ra-rpc enables JSON for ?json, ?json=true and ?json=1 only.
    private static bool IsJsonFlag(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count > 0 && values[0] is "" or "true" or "1" or null;

    private static bool IsJsonContentType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(JsonContentType, StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > BodyLimit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task WriteAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = state.Profile.PrpcAnswersOctetStream ? "application/octet-stream" : JsonContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
