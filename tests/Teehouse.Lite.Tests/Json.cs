using System.Net;
using System.Text;
using System.Text.Json;

namespace Teehouse.Lite.Tests;

/// <summary>Reads responses as raw JSON documents, so tests check the wire format rather than our own types.</summary>
public static class Json
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try { return JsonDocument.Parse(text).RootElement.Clone(); }
        catch (JsonException e) { throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: body is not JSON ({e.Message}): {text}"); }
    }

    public static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Asserts a FastAPI-style error: the status, a JSON body with a string detail, and returns it.</summary>
    public static async Task<string> AssertDetailAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await ReadAsync(response);
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("detail").ValueKind);
        return body.GetProperty("detail").GetString()!;
    }

    public static async Task<JsonElement> AssertValidationAsync(HttpResponseMessage response)
    {
        var body = await ReadAsync(response);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = body.GetProperty("detail");
        Assert.Equal(JsonValueKind.Array, detail.ValueKind);
        Assert.NotEqual(0, detail.GetArrayLength());
        foreach (var item in detail.EnumerateArray())
        {
            Assert.Equal(JsonValueKind.Array, item.GetProperty("loc").ValueKind);
            Assert.Equal(JsonValueKind.String, item.GetProperty("msg").ValueKind);
            Assert.Equal(JsonValueKind.String, item.GetProperty("type").ValueKind);
        }
        return detail;
    }
}
