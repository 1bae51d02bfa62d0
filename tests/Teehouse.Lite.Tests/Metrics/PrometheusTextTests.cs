namespace Teehouse.Lite.Tests.Metrics;

/// <summary>The test's own reader must refuse what Prometheus would refuse, or the scrape tests prove nothing.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void A_well_formed_exposition_is_read()
    {
        var text = PrometheusText.Parse("""
            # HELP up Whether it is up
            # TYPE up gauge
            up{job="a\"b",path="c\\d"} 1
            # TYPE d histogram
            d_bucket{le="0.5"} 2
            d_bucket{le="+Inf"} 3
            d_sum 1.5e-3
            d_count 3

            """.Replace("\r", ""));
        Assert.Equal("a\"b", Assert.Single(text.Named("up"))["job"]);
        Assert.Equal("c\\d", Assert.Single(text.Named("up"))["path"]);
        Assert.Equal(3, Assert.Single(text.Named("d_count")).Value);
        Assert.Equal(0.0015, Assert.Single(text.Named("d_sum")).Value);
    }

    [Theory]
    [InlineData("up 1\n")]                                    // no TYPE
    [InlineData("# TYPE up gauge\nup{a=\"1\"} x\n")]          // not a number
    [InlineData("# TYPE up gauge\nup{a=1} 1\n")]              // unquoted label value
    [InlineData("# TYPE up gauge\nup{a=\"1\"} 1\nup{a=\"1\"} 2\n")] // the same series twice
    [InlineData("# TYPE up gauge\nup 1")]                     // no final newline
    [InlineData("# TYPE up gaug\nup 1\n")]                    // unknown type
    [InlineData("# TYPE d histogram\nd_bucket 1\n")]          // bucket without le
    [InlineData("# a comment\n")]                             // neither HELP nor TYPE
    [InlineData("# TYPE 1up gauge\n")]                        // bad name
    public void Malformed_lines_are_refused(string exposition) =>
        Assert.Throws<FormatException>(() => PrometheusText.Parse(exposition));
}
