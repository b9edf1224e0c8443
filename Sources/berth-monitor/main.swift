// berth-monitor: one per running container (see BerthMonitor.ContainerMonitor), and the parent of
// `-t` exec processes (`--reap`, see BerthMonitor.ExecReaper). No Foundation: see README "Memory".
import BerthMonitor
import BerthSystem

#if canImport(Glibc)
import Glibc
#endif

if let reaper = ExecReaper.fromArguments(CommandLine.arguments) {
    exit(reaper.run())
}
guard let monitor = ContainerMonitor.fromArguments(CommandLine.arguments) else {
    let usage = "usage: berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [--tty] [--stdin] [FD,FD…] (started by berthd)\n"
    try? Processes.writeAll(1, Array(usage.utf8))
    exit(2)
}
exit(monitor.run())
