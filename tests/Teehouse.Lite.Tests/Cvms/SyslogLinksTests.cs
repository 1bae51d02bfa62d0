using System.Security.Cryptography;
using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class SyslogLinksTests
{
    [Fact]
    public void A_remembered_cap_is_the_one_issued_and_another_expiry_issues_its_own()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var issued = new IssuedCaps(1_000_600);
        var row = new CvmRow { HashedId = "0123456789abcdef" };
        var expected = $"http://h/api/v1/cvms/{row.HashedId}/logs?cap={LogCapabilities.Issue(key, row.HashedId, 1_000_600)}";

        Assert.Equal(expected, new SyslogLinks("http://h", key, 1_000_600, issued).For(row));
        Assert.Equal(expected, new SyslogLinks("http://h", key, 1_000_600, issued).For(row)); // from the memo
        Assert.Single(issued);
        Assert.Equal(LogCapabilities.Issue(key, row.HashedId, 1_001_200),
            new SyslogLinks("http://h", key, 1_001_200, issued).For(row).Split("cap=")[1]); // a stale memo is not used
        Assert.Equal(CapabilityCheck.Valid,
            LogCapabilities.Check(key, row.HashedId, expected.Split("cap=")[1], DateTimeOffset.FromUnixTimeSeconds(1_000_000)));
    }
}
