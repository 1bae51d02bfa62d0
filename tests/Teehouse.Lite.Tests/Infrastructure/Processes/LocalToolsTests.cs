using System.Diagnostics;
using Teehouse.Lite.Infrastructure.Processes;

namespace Teehouse.Lite.Tests.Infrastructure.Processes;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalToolsTests : IDisposable
{
    private readonly FakeTools _fakes = new();
    private LocalTools Tools => new(_fakes.SearchPath);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_present_tool_runs_with_its_arguments_and_its_output_comes_back()
    {
        _fakes.Add("qemu-img", "echo \"args: $*\"; echo 'note' >&2");

        var output = await Tools.RunAsync("qemu-img", ["info", "--output=json", "/var/disk one.img"], TimeSpan.FromSeconds(10), Ct);

        Assert.Equal("args: info --output=json /var/disk one.img\n", output.Stdout);
        Assert.Equal("note\n", output.Stderr);
    }

    [Fact]
    public async Task A_missing_tool_is_a_Missing_failure_naming_it()
    {
        var e = await Assert.ThrowsAsync<ToolException>(() => Tools.RunAsync("dstack-mr", ["--help"], TimeSpan.FromSeconds(5), Ct));

        Assert.Equal(ToolFailure.Missing, e.Failure);
        Assert.Equal("dstack-mr", e.Tool);
        Assert.StartsWith("dstack-mr is not installed", e.Message);
        Assert.Null(Tools.Locate("dstack-mr"));
    }

    [Fact]
    public void A_file_without_the_execute_bit_is_not_a_tool()
    {
        var path = _fakes.Add("qemu-img", "exit 0");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Null(Tools.Locate("qemu-img"));
    }

    [Fact]
    public async Task A_failing_tool_is_a_Failed_failure_with_its_exit_code_and_first_stderr_line()
    {
        _fakes.Add("qemu-img", "echo 'qemu-img: Could not open disk.img: No such file' >&2; echo 'second line' >&2; exit 3");

        var e = await Assert.ThrowsAsync<ToolException>(() => Tools.RunAsync("qemu-img", ["info"], TimeSpan.FromSeconds(10), Ct));

        Assert.Equal(ToolFailure.Failed, e.Failure);
        Assert.Equal("qemu-img exited with code 3: qemu-img: Could not open disk.img: No such file", e.Message);
    }

    [Fact]
    public async Task A_hanging_tool_is_killed_at_its_deadline()
    {
        var pidFile = Path.Combine(_fakes.Dir, "pid");
        _fakes.Add("dstack-mr", $"echo $$ > {pidFile}; exec sleep 60");
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<ToolException>(() => Tools.RunAsync("dstack-mr", [], TimeSpan.FromMilliseconds(500), Ct));

        Assert.Equal(ToolFailure.TimedOut, e.Failure);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        // The process is gone (killed, not left running behind the timeout).
        await WaitGoneAsync(pid);
    }

    [Fact]
    public async Task The_callers_cancellation_is_a_cancellation_not_a_timeout()
    {
        _fakes.Add("dstack-mr", "exec sleep 60");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(300);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Tools.RunAsync("dstack-mr", [], TimeSpan.FromSeconds(30), cts.Token));
    }

    [Fact]
    public async Task A_flood_of_output_is_bounded_and_does_not_block_the_tool()
    {
        // 8 MiB of output: the tool must be drained to the end (else it blocks on a full pipe) but only 4 MiB kept.
        _fakes.Add("qemu-img", "head -c 8388608 /dev/zero | tr '\\0' 'x'");

        var output = await Tools.RunAsync("qemu-img", [], TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(LocalTools.MaxOutputChars, output.Stdout.Length);
    }

    private static async Task WaitGoneAsync(int pid)
    {
        for (var i = 0; i < 100; i++)
        {
            if (!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z") return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"process {pid} still runs after the timeout");
    }

    public void Dispose() => _fakes.Dispose();
}
