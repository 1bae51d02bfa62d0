using System.CommandLine;
using Teehouse.Lite.Doctor;

namespace Teehouse.Lite.Cli;

public static class DoctorCommand
{
    public static Command Create(CliIo io)
    {
        var config = CommonOptions.Config();
        var json = new Option<bool>("--json") { Description = "Print the checks as JSON" };
        var command = new Command("doctor",
            "Check this host: config, database, TDX, qemu, each teepod with its KMS and gateway, free disk, clock. " +
            "Exit 0 only when nothing failed; changes nothing.") { json, config };
        command.SetAction(async (parsed, ct) =>
        {
            var report = await DoctorRunner.RunAsync(DoctorOptions.FromEnvironment(parsed.GetValue(config)), ct);
            io.Out.Write(parsed.GetValue(json) ? report.ToJson() + "\n" : report.ToText());
            return report.Healthy ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }
}
