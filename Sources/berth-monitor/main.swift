// berth-monitor: one per running container (see BerthRuntime.ContainerMonitor), and the parent of
// `-t` exec processes (`--reap`, see BerthRuntime.ExecReaper).
import BerthRuntime

#if canImport(Glibc)
import Glibc
#endif

if let reaper = ExecReaper.fromArguments(CommandLine.arguments) {
    exit(reaper.run())
}
guard let monitor = ContainerMonitor.fromArguments(CommandLine.arguments) else {
    print("usage: berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [--tty] [--stdin] [FD,FD…] (started by berthd)")
    exit(2)
}
exit(monitor.run())
