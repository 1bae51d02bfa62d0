namespace Teehouse.Lite.Infrastructure.Hosting;

/// <summary>
/// The server or a command cannot start for a reason the operator can fix (a port, a directory, a file owner, a
/// second server). The message is one line naming what and where; the command line prints it without a stack trace.
/// </summary>
public sealed class StartupException(string message, int exitCode = StartupException.Failure) : Exception(message)
{
    public const int Failure = 1;
    public const int Usage = 2;

    public int ExitCode { get; } = exitCode;
}
