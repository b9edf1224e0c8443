import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tier 3: lifecycles — logs, exec, stop/start, exit codes, berthd restarts, and no leaks.
@Suite("container lifecycle end to end (privileged)", .serialized) struct ContainerLifecycleTests {
    /// A container's root filesystem is mounted in its monitor's own mount namespace, which the
    /// monitor leaves once the runtime is done: the host's mount table gets no line for it (the
    /// runtime reads that table several times per start), the container sees the overlay as `/`,
    /// users are still found in the image, and what the container wrote survives a stop and start.
    @Test func rootFilesystemIsMountedOnlyForTheContainer() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["run", "-d", "--name", "rf", "busybox", "sleep", "1000"])
        let id = try await d.inspect("rf", "{{.Id}}")
        let pid = try await d.inspect("rf", "{{.State.Pid}}")
        let host = try FileSystem.readText("/proc/self/mountinfo").split(separator: "\n")
        let overlays = host.filter { $0.contains(id) && $0.contains(" - overlay ") }
        #expect(overlays.isEmpty, "the host's mount table has container rf's root filesystem: \(overlays)")
        #expect(host.contains { $0.contains("/netns/" + id) }, "no netns pin for rf in \(host)")
        let inside = try FileSystem.readText("/proc/\(pid)/mountinfo").split(separator: "\n")
        let root = inside.first { $0.split(separator: " ").dropFirst(4).first == "/" }
        #expect(root?.contains(" - overlay overlay ") == true && root?.contains("/\(id)/upper") == true, "\(inside)")
        // The monitor is back in the host's mount namespace: it holds no copy of the host's mounts.
        let monitor = try await d.inspect("rf", "{{.State.Pid}}")  // the container's parent is its monitor
        let ppid = try FileSystem.readText("/proc/\(monitor)/stat").split(separator: " ")[3]
        #expect(try FileSystem.readLink("/proc/\(ppid)/ns/mnt") == FileSystem.readLink("/proc/self/ns/mnt"))
        #expect(try await d.ok(["exec", "-u", "nobody", "rf", "id", "-u"]) == "65534")
        try await d.ok(["exec", "rf", "sh", "-c", "echo kept > /kept"])
        try await d.ok(["stop", "-t", "1", "rf"])
        try await d.ok(["start", "rf"])
        #expect(try await d.ok(["exec", "rf", "cat", "/kept"]) == "kept")
        try await d.ok(["rm", "-f", "rf"])
        #expect(!FileSystem.exists(d.root + "/containers/" + id), "container rf's directory is left")
        #expect(Self.runtimeLeftovers(d, id).isEmpty, "\(Self.runtimeLeftovers(d, id))")
    }

    /// After a container's first process ends, its monitor removes the runtime's record and cgroups
    /// itself (not by starting `runc delete`): nothing of them is left, also when the container shared
    /// the host's PID namespace and left a process behind, which is killed as runc would.
    @Test func anEndedContainerLeavesNoCgroupsNorRuntimeRecord() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let marker = "berth-left-behind-\(TestSupport.randomHex(6))"
        let out = try await d.ok(["run", "--name", "hp", "--pid", "host", "busybox", "sh", "-c", "(exec -a \(marker) sleep 300 &) ; echo started"])
        #expect(out == "started")
        let id = try await d.inspect("hp", "{{.Id}}")
        var left = Self.runtimeLeftovers(d, id)
        for _ in 0..<50 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            left = Self.runtimeLeftovers(d, id)
        }
        #expect(left.isEmpty, "\(left)")
        let stray = FileSystem.listDirectory("/proc").filter { Int32($0).flatMap { Processes.commandLine(of: $0)?.first } == marker }
        #expect(stray.isEmpty, "the process the container left behind still runs: \(stray)")
        try await d.ok(["rm", "hp"])
        // And `run --rm`: gone when the CLI returns.
        try await d.ok(["run", "--rm", "--name", "quick", "busybox", "true"])
        #expect(try await d.cli(["inspect", "quick"]).status != 0)
    }

    /// The runtime's state directory and the cgroup directories of container `id` that still exist.
    static func runtimeLeftovers(_ d: Daemon, _ id: String) -> [String] {
        var left: [String] = []
        let record = d.run + "/runtime/runc/" + id
        if FileSystem.exists(record) { left.append(record) }
        for controller in FileSystem.listDirectory("/sys/fs/cgroup") {
            let dir = "/sys/fs/cgroup/\(controller)/berth/\(id)"
            if FileSystem.exists(dir) { left.append(dir) }
        }
        if FileSystem.exists("/sys/fs/cgroup/berth/\(id)") { left.append("/sys/fs/cgroup/berth/\(id)") }
        return left
    }

    @Test func runLogsExecStopStartAndExitCodes() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        // Foreground run: output and the container's exit code.
        let fg = try await d.cli(["run", "--name", "fg", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(fg.status == 3)
        #expect(fg.stdout == "out\n")
        #expect(fg.stderr.contains("err"))
        #expect(try await d.ok(["logs", "fg"]) == "out")
        #expect(try await d.ok(["inspect", "-f", "{{.State.ExitCode}} {{.State.Status}}", "fg"]) == "3 exited")
        // 127: no such program; 126: not executable.
        #expect(try await d.cli(["run", "--rm", "busybox", "nosuchprogram"]).status == 127)
        #expect(try await d.cli(["run", "--rm", "busybox", "/etc/passwd"]).status == 126)
        #expect(try await d.cli(["run", "--rm", "nosuchimage"]).status == 125)
        // -e, -w, -u, --entrypoint, --hostname, --add-host.
        let env = try await d.ok([
            "run", "--rm", "-e", "GREETING=hi", "-w", "/tmp", "-u", "nobody", "--hostname", "box",
            "--add-host", "gw:host-gateway", "busybox", "sh", "-c", "echo $GREETING $(pwd) $(id -u) $(hostname); grep gw /etc/hosts",
        ])
        #expect(env.hasPrefix("hi /tmp 65534 box"))
        #expect(env.contains("172.17.0.1\tgw"))
        #expect(try await d.ok(["run", "--rm", "--entrypoint", "echo", "busybox", "a", "b"]) == "a b")
        // --rm: berthd removes the container the moment it ends, and none of its output is lost
        // to that (the last lines are written just before the exit); the CLI returns once it is gone.
        for i in 0..<5 {
            let rm = try await d.cli(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out \(i); echo err >&2; exit 4"])
            #expect(rm.status == 4 && rm.stdout == "out \(i)\n" && rm.stderr == "err\n", "\(rm)")
        }
        #expect(try await d.ok(["ps", "-aq", "--filter", "status=exited"]) == (try await d.ok(["ps", "-aq", "--filter", "name=fg"])))
        // Detached: logs -f ends when the container does; exec; top; stop with a timeout; start again.
        try await d.ok(["run", "-d", "--name", "loop", "busybox", "sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"])
        #expect(try await d.ok(["exec", "-e", "X=1", "loop", "sh", "-c", "echo $X; exit 0"]) == "1")
        #expect(try await d.cli(["exec", "loop", "sh", "-c", "exit 7"]).status == 7)
        #expect(try await d.ok(["top", "loop"]).contains("while true"))
        #expect(try await d.ok(["ps", "-q", "--filter", "name=loop"]).count == 12)
        try await d.ok(["stop", "-t", "5", "loop"])
        #expect(try await d.ok(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "loop"]) == "exited 0")
        #expect(try await d.ok(["logs", "--tail", "1", "loop"]).hasPrefix("tick"))
        try await d.ok(["start", "loop"])
        #expect(try await d.ok(["inspect", "-f", "{{.State.Running}}", "loop"]) == "true")
        try await d.ok(["kill", "loop"])
        #expect(try await d.ok(["wait", "loop"]) == "137")
        // rm of a running container needs -f.
        try await d.ok(["run", "-d", "--name", "busy", "busybox", "sleep", "60"])
        let refused = try await d.cli(["rm", "busy"])
        #expect(refused.status == 1 && refused.stderr.contains("Stop the container"))
        try await d.ok(["rm", "-f", "busy", "loop", "fg"])
        #expect(try await d.ok(["ps", "-aq"]) == "")
    }

    /// berthd SIGKILLed: containers keep running; a restarted berthd adopts them with the same address
    /// and published port, and reports the real exit code of one that ended meanwhile.
    @Test func containersSurviveBerthdCrash() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["run", "-d", "--name", "keep", "-p", "8085:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"])
        try await d.ok(["run", "-d", "--name", "ends", "busybox", "sh", "-c", "sleep 1; exit 42"])
        let ip = try await d.inspect("keep", "{{.NetworkSettings.IPAddress}}")
        let pid = Int32(try await d.inspect("keep", "{{.State.Pid}}")) ?? 0
        kill(d.pid, SIGKILL)
        _ = d.waitForExit()
        // While berthd is down the container serves, and the published port stays taken.
        #expect(kill(pid, 0) == 0)
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8085/hostname").succeeded)
        #expect(try await d.hostSh("timeout 1 busybox nc -l -p 8085; echo rc=$?").stdout.contains("rc=1"))
        try await Task.sleep(for: .seconds(2))
        try await d.startOffPool()
        #expect(try await d.inspect("keep", "{{.State.Status}} {{.State.Pid}}") == "running \(pid)")
        #expect(try await d.inspect("keep", "{{.NetworkSettings.IPAddress}}") == ip)
        #expect(try await d.ok(["port", "keep", "80"]) == "0.0.0.0:8085")
        #expect(try await d.hostSh("timeout 5 wget -qO- http://127.0.0.1:8085/hostname").succeeded)
        #expect(try await d.inspect("ends", "{{.State.Status}} {{.State.ExitCode}}") == "exited 42")
        try await d.ok(["rm", "-f", "keep", "ends"])
    }

    /// 200 run/rm cycles leave the host exactly as before.
    @Test func twoHundredRunRemoveCyclesLeakNothing() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let before = try await d.leftovers()
        var ids: [String] = []
        for i in 0..<200 {
            let id = try await d.ok(["run", "-d", "-p", "\(9000 + i % 3):80", "busybox", "sleep", "30"])
            ids.append(id)
            try await d.ok(["rm", "-f", id])
        }
        #expect(try await d.leftovers(ids: ids) == before)
        #expect(try await d.ok(["network", "inspect", "-f", "{{len .Containers}}", "bridge"]) == "0")
    }
}
