using System.Net;

namespace Teehouse.Lite.Tests.Catalog;

/// <summary>Literal paths Teehouse Lite does not serve are a plain 404, not a lookup by their {id} sibling.</summary>
public sealed class MissingRouteTests : SimulatedTeepodTest
{
    [Theory]
    [InlineData("PATCH", "/api/v1/cvms/instance-ids")]
    [InlineData("GET", "/api/v1/apps/filter-options")]
    [InlineData("GET", "/api/v1/teepods/cvm-create-resources")]
    public async Task Is_a_plain_404(string method, string path)
    {
        var response = await _user.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Json.Body("{}") }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Not Found", (await Json.ReadAsync(response)).GetProperty("detail").GetString());
    }
}
