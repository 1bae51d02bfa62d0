using System.Diagnostics;
using CliWrap;

namespace Teehouse.Lite.Infrastructure.Processes;

public enum ToolFailure
{
    /// <summary>Not found on the search path (or the named file is not executable).</summary>
    Missing,
    /// <summary>Ran and exited non-zero.</summary>
    Failed,
    /// <summary>Did not finish in time and was killed.</summary>
    TimedOut,
}

/// <summary>A host tool could not give an answer; the message is one line an operator can act on.</summary>
public sealed class ToolException(string tool, ToolFailure failure, string message) : Exception(message)
{
    public string Tool { get; } = tool;
    public ToolFailure Failure { get; } = failure;
}

public sealed record ToolOutput(string Stdout, string Stderr, TimeSpan Elapsed);

/// <summary>
/// Runs the host's dstack/qemu tools (dstack-mr, qemu-img, qemu-system-x86_64, …) through CliWrap: looked up on a
/// search path, killed when they overrun their deadline or the caller cancels, their output bounded, and every failure
/// turned into a <see cref="ToolException"/> that names the tool and carries the first line of its stderr.
/// </summary>
public sealed class LocalTools
{
    /// <summary>Enough for any JSON or version text these tools print; a runaway tool cannot fill our memory.</summary>
    public const int MaxOutputChars = 4 * 1024 * 1024;

    private readonly string[] _searchPath;

    /// <param name="searchPath">A PATH-style list (<c>[tools] search_path</c>); null or empty means this process's PATH.</param>
    public LocalTools(string? searchPath = null)
    {
        var path = NullIfEmpty(searchPath) ?? NullIfEmpty(Environment.GetEnvironmentVariable("PATH")) ?? "/usr/local/bin:/usr/bin:/bin";
        _searchPath = path.Split(':', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The executable's full path, or null when it is not installed. A name with a slash is taken as given.</summary>
    public string? Locate(string name)
    {
        if (name.Contains('/')) return IsExecutable(name) ? Path.GetFullPath(name) : null;
        foreach (var dir in _searchPath)
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    public async Task<ToolOutput> RunAsync(
        string name, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct = default,
        string? workingDirectory = null)
    {
        var path = Locate(name) ?? throw new ToolException(name, ToolFailure.Missing,
            $"{name} is not installed (not found on PATH {string.Join(':', _searchPath)})");

        var stdout = new BoundedText(MaxOutputChars);
        var stderr = new BoundedText(64 * 1024);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var clock = Stopwatch.StartNew();
        CommandResult result;
        try
        {
            var command = CliWrap.Cli.Wrap(path)
                .WithArguments(arguments)
                .WithValidation(CommandResultValidation.None)
                .WithStandardInputPipe(PipeSource.Null)
                .WithStandardOutputPipe(PipeTarget.Create(stdout.ReadAsync))
                .WithStandardErrorPipe(PipeTarget.Create(stderr.ReadAsync));
            if (workingDirectory is not null) command = command.WithWorkingDirectory(workingDirectory);
            // Cancelling CliWrap's token kills the process (and its tree), so a hung tool never outlives the deadline.
            result = await command.ExecuteAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ToolException(name, ToolFailure.TimedOut,
                $"{name} did not finish within {timeout.TotalSeconds:0.#} s and was stopped");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // Found but not startable (bad interpreter line, permission race): as good as missing.
            throw new ToolException(name, ToolFailure.Missing, $"{name} ({path}) cannot be started: {e.Message}");
        }

        if (result.ExitCode != 0)
        {
            var why = FirstLine(stderr.Text) ?? FirstLine(stdout.Text) ?? "no output";
            throw new ToolException(name, ToolFailure.Failed, $"{name} exited with code {result.ExitCode}: {why}");
        }
        return new ToolOutput(stdout.Text, stderr.Text, clock.Elapsed);
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public static string? FirstLine(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length > 0) return trimmed.Length <= 300 ? trimmed : trimmed[..300] + "…";
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            if (OperatingSystem.IsWindows()) return true;
            var mode = File.GetUnixFileMode(path);
            return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Keeps the first <c>max</c> characters and drains the rest, so the tool never blocks on a full pipe.</summary>
    private sealed class BoundedText(int max)
    {
        private readonly System.Text.StringBuilder _text = new();

        public string Text => _text.ToString();

        public async Task ReadAsync(Stream stream, CancellationToken ct)
        {
            using var reader = new StreamReader(stream);
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer, ct)) > 0)
            {
                var room = max - _text.Length;
                if (room > 0) _text.Append(buffer, 0, Math.Min(room, read));
            }
        }
    }
}
