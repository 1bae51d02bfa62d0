namespace Teehouse.Lite.Tests.Infrastructure.Processes;

/// <summary>
/// A directory of small shell scripts standing in for the host's dstack/qemu tools. Put it first on a search path (or
/// a child process's PATH) so the real CliWrap code runs them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FakeTools : IDisposable
{
    private readonly TempDir _dir = new();

    public string Dir => _dir.Path;

    /// <summary>A PATH with only the fakes and the system's basic utilities (sh, sleep, cat).</summary>
    public string SearchPath => $"{Dir}:/usr/bin:/bin";

    /// <summary>Writes an executable script <paramref name="name"/> running <paramref name="body"/> under /bin/sh.</summary>
    public string Add(string name, string body)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead |
                                   UnixFileMode.OtherExecute);
        return path;
    }

    /// <summary>A tool that prints <paramref name="stdout"/> and exits 0.</summary>
    public string Prints(string name, string stdout) => Add(name, $"cat <<'FAKE_EOF'\n{stdout}\nFAKE_EOF");

    public void Dispose() => _dir.Dispose();
}
