using Teehouse.Lite.Teepods;

namespace Teehouse.Lite.Tests.Teepods;

public sealed class CapacityTests
{
    [Fact]
    public void Started_vms_hold_cpu_and_memory_every_loaded_vm_holds_a_slot()
    {
        var use = ResourceUse.Of(
        [
            ("running", 2, 2048), ("exited", 1, 1024), ("stopping", 4, 4096),
            ("stopped", 8, 8192), ("removing", 16, 16384),
        ]);
        Assert.Equal(4, use.VmCount);       // removing VMs are on their way out
        Assert.Equal(7, use.Vcpu);          // stopped ones release their CPUs
        Assert.Equal(7168, use.MemoryMb);
    }

    [Fact]
    public void Remaining_never_goes_negative_and_unknown_limits_mean_no_room()
    {
        Assert.Equal(5, TeepodCapacity.Remaining(20, 15));
        Assert.Equal(0, TeepodCapacity.Remaining(20, 25));
        Assert.Equal(0, TeepodCapacity.Remaining(null, 0));
    }

    [Theory]
    [InlineData(20, 0, 100000, 0, 1000, 0, 100.0)]
    [InlineData(20, 10, 100000, 0, 1000, 0, 50.0)]       // CPU is the scarcest
    [InlineData(20, 0, 100000, 75000, 1000, 0, 25.0)]    // memory is
    [InlineData(20, 0, 100000, 0, 4, 3, 25.0)]           // slots are
    [InlineData(20, 30, 100000, 0, 1000, 0, 0.0)]        // over-committed
    public void The_score_is_the_free_share_of_the_scarcest_resource(
        long maxVcpu, long usedVcpu, long maxMemory, long usedMemory, long maxVms, int vms, double score)
    {
        var teepod = new TeepodRecord
        {
            MaxAllocableVcpu = maxVcpu, UsedVcpu = usedVcpu, MaxAllocableMemoryInMb = maxMemory,
            UsedMemoryMb = usedMemory, MaxCvmNumber = maxVms, VmCount = vms,
        };
        Assert.Equal(score, TeepodCapacity.Score(teepod));
    }

    [Fact]
    public void A_teepod_with_unknown_limits_scores_zero() => Assert.Equal(0, TeepodCapacity.Score(new TeepodRecord()));

    [Theory]
    [InlineData("0.5.5", new[] { 0, 5, 5 })]
    [InlineData("v0.5.3", new[] { 0, 5, 3 })]
    [InlineData("0.5", new[] { 0, 5, 0 })]
    [InlineData("1.2.3.4", new[] { 1, 2, 3, 4 })]
    [InlineData("1.2.3.4.5", new[] { 1, 2, 3, 4 })]
    [InlineData("0.5.5-rc1", new[] { 0, 5, 5 })]
    [InlineData("0.6.0+git", new[] { 0, 6, 0 })]
    public void Image_versions_become_number_arrays(string text, int[] expected) =>
        Assert.Equal(expected, ImageVersion.Parse(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("nvidia")]
    public void Versions_without_numbers_are_not_offered(string? text) => Assert.Null(ImageVersion.Parse(text));

    [Fact]
    public void Stored_images_with_unreadable_versions_are_left_out()
    {
        var images = TeepodAvailability.Images("""[{"name":"dstack-0.5.5","version":"0.5.5","is_dev":false},{"name":"odd","version":"latest","is_dev":true}]""");
        var image = Assert.Single(images);
        Assert.Equal("dstack-0.5.5", image.Name);
        Assert.Equal([0, 5, 5], image.Version);
        Assert.Empty(TeepodAvailability.Images("not json"));
    }
}
