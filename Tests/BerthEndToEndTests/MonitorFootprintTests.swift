import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 3: berth-monitor runs once per container, so its footprint is multiplied by every container
/// a user runs (issue 7: at most 2 MB RSS each). These guard what keeps it small, and the size itself.
@Suite("berth-monitor footprint", .serialized) struct MonitorFootprintTests {
    /// Foundation (and a shared Swift runtime) would map several MB into every monitor: the binary
    /// is one static executable that needs no shared library at all.
    @Test func monitorLinksNoFoundationNorSharedSwiftRuntime() throws {
        let binary = Daemon.binDirectory + "/berth-monitor"
        let r = try Subprocess.run(["readelf", "-d", binary])
        #expect(r.succeeded, "readelf -d \(binary): \(r.stderr)")
        let needed = r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.map(String.init)
        #expect(needed.isEmpty, "berth-monitor needs shared libraries: \(needed)")
        for library in needed {
            #expect(!library.contains("Foundation"), "berth-monitor links \(library)")
            #expect(!library.contains("libswift"), "berth-monitor links \(library)")
            #expect(!library.contains("dispatch"), "berth-monitor links \(library)")
        }
    }

    /// An idle container's monitor sleeps in poll(2) until something happens: no timer wake-ups
    /// (500 containers polling 10×/s would keep a core busy). Output, and the container's exit,
    /// still wake it at once.
    @Test func idleMonitorDoesNotWakeUp() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["run", "-d", "--name", "idle", "busybox", "sh", "-c", "echo started; sleep 1000"])
        let id = try await d.inspect("idle", "{{.Id}}")
        let pid = try #require(monitorPid(containerId: id))
        // Let start-up settle (the runtime's exits, the state file), then count wake-ups.
        try await Task.sleep(for: .milliseconds(300))
        let before = try #require(contextSwitches(pid))
        try await Task.sleep(for: .seconds(1))
        let after = try #require(contextSwitches(pid))
        #expect(after - before <= 2, "an idle berth-monitor woke up \(after - before) times in a second")
        // Issue 7: at most 2 MB resident per container. Embedded Swift (no runtime metadata, only the
        // code it calls; Package.swift) keeps even the debug build these tests run well under it.
        let rss = try #require(residentKilobytes(pid))
        #expect(rss <= 2048, "an idle berth-monitor holds \(rss) kB RSS (issue 7: at most 2048)")
        // Nothing is lost by sleeping: output written later is logged, and stop ends it.
        #expect(try await d.cli(["exec", "idle", "sh", "-c", "echo late > /proc/1/fd/1"]).status == 0)
        var logged = ""
        for _ in 0..<50 where !logged.contains("late") {
            logged = try await d.ok(["logs", "idle"])
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(logged.contains("late"))
        try await d.ok(["rm", "-f", "idle"])
        for _ in 0..<50 where Processes.isAlive(pid) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!Processes.isAlive(pid))
    }

    /// The `berth-monitor` whose arguments name the container.
    func monitorPid(containerId: String) -> Int32? {
        for entry in FileSystem.listDirectory("/proc") {
            guard let pid = Int32(entry), let argv = Processes.commandLine(of: pid), argv.count > 2 else { continue }
            if argv[0].hasSuffix("berth-monitor") && argv[2] == containerId { return pid }
        }
        return nil
    }

    /// VmRSS of a process in kB (/proc/PID/status).
    func residentKilobytes(_ pid: Int32) -> Int? {
        guard let status = try? FileSystem.readText("/proc/\(pid)/status"),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let value = line.dropFirst("VmRSS:".count).trimmingCharacters(in: .whitespaces)
        return Int(value.split(separator: " ").first ?? "")
    }

    /// Voluntary plus involuntary context switches of a process so far (/proc/PID/status).
    func contextSwitches(_ pid: Int32) -> Int? {
        guard let status = try? FileSystem.readText("/proc/\(pid)/status") else { return nil }
        var total = 0
        for line in status.split(separator: "\n") where line.contains("ctxt_switches:") {
            guard let n = Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") else { return nil }
            total += n
        }
        return total
    }
}
