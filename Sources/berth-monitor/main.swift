// berth-monitor: one per running container (see BerthMonitor.ContainerMonitor), and the parent of
// `-t` exec processes (`--reap`, see BerthMonitor.ExecReaper). No Foundation: see README "Memory".
// Built with Embedded Swift: this module is this file plus the shared sources linked into Shared/
// (BerthMonitor's, and the parts of BerthSystem and BerthCore it uses); see Package.swift.
import CBerthLibc

// Embedded Swift has no `CommandLine`: the kernel's copy of argv.
let arguments = Processes.commandLine(of: getpid()) ?? []
if let reaper = ExecReaper.fromArguments(arguments) {
    exit(reaper.run())
}
guard let monitor = ContainerMonitor.fromArguments(arguments) else {
    let usage = "usage: berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [--tty] [--stdin] [FD,FD…] (started by berthd)\n"
    try? Processes.writeAll(1, Array(usage.utf8))
    exit(2)
}
exit(monitor.run())
