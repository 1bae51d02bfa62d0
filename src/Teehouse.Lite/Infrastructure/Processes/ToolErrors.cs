using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Infrastructure.Http;

namespace Teehouse.Lite.Infrastructure.Processes;

public static class ToolErrors
{
    /// <summary>
    /// A host tool's failure as an API answer: 504 when it overran, 502 otherwise (the tool stands where a teepod
    /// would). The operator (admin) reads the tool's own words; a user the same without paths or addresses.
    /// </summary>
    public static ApiException ToApi(ToolException e, bool isAdmin)
    {
        var detail = isAdmin ? e.Message
            // Where we looked (a PATH list) is the operator's business, and the scrubber does not know PATH lists.
            : e.Failure == ToolFailure.Missing ? $"{e.Tool} is not installed on this host"
            : DetailScrubber.Scrub(e.Message);
        return e.Failure == ToolFailure.TimedOut ? ApiException.GatewayTimeout(detail) : ApiException.BadGateway(detail);
    }
}
