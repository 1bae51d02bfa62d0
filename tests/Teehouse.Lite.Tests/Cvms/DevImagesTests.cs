using Teehouse.Lite.Cvms;

namespace Teehouse.Lite.Tests.Cvms;

public sealed class DevImagesTests
{
    private const string Images = """
        [{"name":"dstack-0.5.5","version":"0.5.5","is_dev":true},{"name":"dstack-dev-0.5.5","version":"0.5.5","is_dev":false},
         {"name":"dstack-0.5.5","version":"0.5.5","is_dev":false}]
        """;

    [Fact]
    public void The_teepods_list_wins_over_the_name_and_its_first_entry_over_later_ones()
    {
        Assert.True(DevImages.IsDev(Images, "dstack-0.5.5"));
        Assert.False(DevImages.IsDev(Images, "dstack-dev-0.5.5"));
    }

    [Theory]
    [InlineData("dstack-dev-0.4.2", true)]
    [InlineData("custom-dev", true)]
    [InlineData("dstack-0.4.2", false)]
    [InlineData("developer-image", false)]
    public void An_image_not_listed_is_judged_by_its_name(string image, bool dev)
    {
        Assert.Equal(dev, DevImages.IsDev(Images, image));
        Assert.Equal(dev, DevImages.IsDev("not json", image));
        Assert.Equal(dev, DevImages.IsDev("null", image));
        Assert.Equal(dev, DevImages.IsDev("[null, {\"name\": null, \"version\": \"1\", \"is_dev\": true}]", image));
    }

    [Fact]
    public void Each_text_is_parsed_once()
    {
        var text = $$"""[{"name":"once-{{Guid.NewGuid():N}}","version":"1","is_dev":true}]""";
        var first = DevImages.Known(new string(text));
        // Another string with the same text (as each row read from the database is) finds the same parse.
        Assert.NotNull(first);
        Assert.Same(first, DevImages.Known(new string(text)));
    }
}
