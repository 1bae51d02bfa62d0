using System.Text.Json;
using Teehouse.Lite.Infrastructure.Dstack;
using Teehouse.Lite.Upgrades;

namespace Teehouse.Lite.Tests.Releases;

/// <summary>The pure parts of speaking to each dstack release: versions, error text, gpus shapes, non-KMS upgrades.</summary>
public sealed class ReleaseLogicTests
{
    [Theory]
    [InlineData("0.5.5", "0.5.5")]
    [InlineData("v0.5.11", "0.5.11")]
    [InlineData("0.6.0-rc.1", "0.6.0")]
    [InlineData("0.5", "0.5.0")]
    [InlineData(" 0.4.2 (git:abc)", "0.4.2")]
    public void Versions_parse_from_what_dstack_reports(string reported, string expected) =>
        Assert.Equal(Version.Parse(expected), VmmFeatures.Parse(reported));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("dev")]
    [InlineData("1")]
    public void Unparsable_versions_are_unknown(string? reported) => Assert.Null(VmmFeatures.Parse(reported));

    [Theory]
    // version, UpdateVm, RemoveVm refuses running, background removal, gpus as list, /logs errors as text, supported
    [InlineData("0.3.6", false, true, false, true, true, false)]
    [InlineData("0.4.2", false, true, false, true, true, true)]
    [InlineData("0.5.0", false, true, false, false, true, true)]
    [InlineData("0.5.5", false, true, false, false, true, true)]
    [InlineData("0.5.6", true, true, false, false, true, true)]
    [InlineData("0.5.7", true, false, true, false, true, true)]
    [InlineData("0.5.11", true, false, true, false, true, true)]
    [InlineData("0.6.0", true, false, true, false, false, true)]
    public void Each_release_has_its_features(
        string version, bool updateVm, bool refusesRunning, bool background, bool gpusList, bool logsText, bool supported)
    {
        var f = VmmFeatures.Of(version);
        Assert.Equal(updateVm, f.HasUpdateVm);
        Assert.Equal(refusesRunning, f.RemoveRefusesRunning);
        Assert.Equal(background, f.RemovesInBackground);
        Assert.Equal(gpusList, f.GpusAsList);
        Assert.Equal(logsText, f.LogsErrorsAsText);
        Assert.Equal(supported, f.Supported);
    }

    [Fact]
    public void An_unknown_version_is_taken_as_the_newest() =>
        Assert.Equal(VmmFeatures.Of("0.6.0") with { Version = null }, VmmFeatures.Of(null));

    [Fact]
    public void Anyhow_debug_errors_keep_their_first_line()
    {
        const string debug = "Failed to remove VM\n\nCaused by:\n    0: Failed to remove VM directory\n    1: No such file or directory (os error 2)";
        Assert.Equal("Failed to remove VM", PrpcTransport.FirstLine(debug));
        Assert.Equal("one line: cause", PrpcTransport.FirstLine("one line: cause"));
        Assert.Equal("after blank", PrpcTransport.FirstLine("\n  after blank  \nmore"));
    }

    [Theory]
    [InlineData("Unknown channel bogus", 400)]
    [InlineData("Os { code: 2, kind: NotFound, message: \"No such file or directory\" }", 404)]
    [InlineData("Failed to open: Os { code: 2, kind: NotFound, message: \"No such file or directory\" }", 404)]
    [InlineData("Kind(NotFound)", 404)]
    public void Released_logs_errors_are_recognised(string body, int status) =>
        Assert.Equal(status, LogsErrorText.Classify(body)?.Status);

    [Theory]
    [InlineData("[  1.234] Linux version 6.1\n")]
    [InlineData("Unknown channel bogus\nnext line")]
    [InlineData("")]
    [InlineData("container app-1 started: Os is fine")]
    public void Log_lines_are_not_errors(string body) => Assert.Null(LogsErrorText.Classify(body));

    [Theory]
    [InlineData("""{"gpus":[{"slot":"18:00.0"},{"slot":"2a:00.0"}]}""", "listed", 2)]
    [InlineData("""{"gpus":{"gpus":[{"slot":"18:00.0"}],"attach_mode":"all"}}""", "all", 1)]
    [InlineData("""{"gpus":[]}""", "listed", 0)]
    [InlineData("""{"gpus":null}""", null, -1)]
    public void Gpus_read_in_the_04_list_and_the_05_object_shape(string json, string? mode, int count)
    {
        var config = JsonSerializer.Deserialize(json, DstackJsonContext.Default.VmConfiguration)!;
        if (count < 0)
        {
            Assert.Null(config.Gpus);
            return;
        }
        Assert.Equal(mode, config.Gpus!.AttachMode);
        Assert.Equal(count, config.Gpus.Gpus.Count);
    }

    [Fact]
    public void Gpus_are_written_as_the_object()
    {
        var json = JsonSerializer.Serialize(new VmConfiguration { Gpus = new GpuConfig { Gpus = [new GpuSpec { Slot = "18:00.0" }] } },
            DstackJsonContext.Default.VmConfiguration);
        Assert.Contains("\"gpus\":{\"gpus\":[{\"slot\":\"18:00.0\"}],\"attach_mode\":\"listed\"}", json);
    }

    private const string AppId = "1111111111111111111111111111111111111111";
    private const string SameIdHash = "1111111111111111111111111111111111111111aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string OtherHash = "2222222222222222222222222222222222222222aaaaaaaaaaaaaaaaaaaaaaaa";

    [Theory]
    [InlineData(false, OtherHash, "0.5.5", NonKmsOutcome.WouldNotBoot)]
    [InlineData(false, OtherHash, "0.4.2", NonKmsOutcome.WouldNotBoot)]
    [InlineData(false, OtherHash, "0.5.6", NonKmsOutcome.AttestsNewAppId)]
    [InlineData(false, OtherHash, "0.5.11", NonKmsOutcome.AttestsNewAppId)]
    [InlineData(false, OtherHash, "0.6.0", NonKmsOutcome.Unaffected)]
    [InlineData(true, OtherHash, "0.5.5", NonKmsOutcome.Unaffected)]
    [InlineData(false, SameIdHash, "0.5.5", NonKmsOutcome.Unaffected)]
    [InlineData(false, OtherHash, null, NonKmsOutcome.Unaffected)]
    public void Non_kms_compose_changes_by_guest_image(bool kms, string hash, string? image, NonKmsOutcome expected) =>
        Assert.Equal(expected, NonKmsUpgrades.Judge(kms, AppId, hash, image is null ? null : Version.Parse(image)));

    [Theory]
    [InlineData("dstack-0.5.5", "0.5.5")]
    [InlineData("dstack-nvidia-dev-0.5.8", "0.5.8")]
    [InlineData("dstack-dev-0.4.2", "0.4.2")]
    [InlineData("my-image", null)]
    public void Image_versions_come_from_the_name(string name, string? version) =>
        Assert.Equal(version is null ? null : Version.Parse(version), NonKmsUpgrades.VersionIn(name));
}
