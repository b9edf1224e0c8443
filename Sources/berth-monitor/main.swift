// berth-monitor: one per running container; see BerthRuntime.ContainerMonitor.
import BerthRuntime

#if canImport(Glibc)
import Glibc
#endif

guard let monitor = ContainerMonitor.fromArguments(CommandLine.arguments) else {
    print("usage: berth-monitor DIR ID RUNTIME-NAME RUNTIME-PATH RUNTIME-ROOT [FD,FD…] (started by berthd)")
    exit(2)
}
exit(monitor.run())
