import BerthCore
import Foundation
import BerthSystem
import BerthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tier 3 harness: the real `berthd` and `berth` binaries, with berthd running inside a throwaway
/// "host" namespace (its own bridge names, nftables table and state directories), so end-to-end
/// tests never touch the machine's real network and can run beside a live berth or Docker.
final class Daemon: @unchecked Sendable {
    let host: ScratchNamespace
    let root: String
    let run: String
    let table: String
    let bridge: String
    var pid: Int32 = 0
    /// Where container namespaces appear by name (`/run/netns` only in the test of V1, so tests
    /// never collide with each other's names).
    var netnsDirectory: String

    /// Where `swift build` put the binaries (next to the test bundle).
    static var binDirectory: String {
        for candidate in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug"] where FileSystem.exists(candidate + "/berthd") {
            return candidate
        }
        return ".build/debug"
    }
    static var berthd: String { binDirectory + "/berthd" }
    static var berth: String { binDirectory + "/berth" }

    init() throws {
        try TestSupport.requireRoot()
        TestSupport.adoptOrphans()
        host = try ScratchNamespace(name: "host")
        root = host.directory + "/root"
        run = host.directory + "/run"
        table = "bt" + TestSupport.randomHex(6)
        netnsDirectory = host.directory + "/netns"
        bridge = table + "0"
        do {
            // An "uplink" for the host: a veth pair (this kernel has no dummy driver) whose far end is idle.
                let uplink = try host.sh(
                    "ip link add up0 type veth peer name up1 && ip addr add 198.51.100.1/24 dev up0 && ip link set up1 up && ip link set up0 up")
                guard uplink.succeeded else { throw BerthError(.system, "cannot make the test uplink: \(uplink.stderr)") }
        } catch {
            host.close()
            throw error
        }
    }

    var environment: [String] {
        [
            "BERTH_ROOT=\(root)", "BERTH_RUN=\(run)", "BERTH_NFT_TABLE=\(table)", "BERTH_BRIDGE=\(bridge)",
            "BERTH_CONFIG=\(host.directory)/daemon.json", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "BERTH_NETNS_DIR=\(netnsDirectory)",
        ]
    }

    /// Starts berthd in the host namespace and waits until its socket answers.
    func start(extraEnv: [String] = []) throws {
        let env = (environment + extraEnv).map { "'\($0)'" }.joined(separator: " ")
        let r = try host.sh("env \(env) \(Daemon.berthd) >>\(host.directory)/berthd.log 2>&1 & echo $!")
        pid = Int32(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        for _ in 0..<200 {
            if try cli(["version"], autostart: false).status == 0 { return }
            if kill(pid, 0) != 0 { break }
            usleep(50_000)
        }
        throw BerthError(.system, "berthd did not come up; log:\n" + ((try? FileSystem.readText(host.directory + "/berthd.log")) ?? ""))
    }

    /// Whether berthd's process is still alive; reaps it when it has exited.
    func waitForExit(seconds: Int = 10) -> Int32? {
        for _ in 0..<(seconds * 20) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0 { return status }
            usleep(50_000)
        }
        return nil
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        _ = waitForExit()
        pid = 0
    }

    /// Runs the berth CLI (inside the host namespace, as a user there would).
    @discardableResult
    func cli(_ args: [String], autostart: Bool = false, input: String? = nil) throws -> SubprocessResult {
        let env = environment + (autostart ? [] : ["BERTH_NO_AUTOSTART=1"])
        return try host.namespace.run {
            try Subprocess.run(["env"] + env + [Daemon.berth] + args, input: input.map { Array($0.utf8) })
        }
    }

    /// `cli` from async tests: waits on a dedicated thread, so the concurrency pool stays free for
    /// the in-process servers other tests run at the same time (the embedded DNS tests).
    @discardableResult
    func cli(_ args: [String], autostart: Bool = false, input: String? = nil) async throws -> SubprocessResult {
        let env = environment + (autostart ? [] : ["BERTH_NO_AUTOSTART=1"])
        let bytes = input.map { Array($0.utf8) }
        return try await host.namespace.run { try Subprocess.run(["env"] + env + [Daemon.berth] + args, input: bytes) }
    }

    /// A raw HTTP request on the API socket, for what the CLI would never send (malformed JSON).
    func rawHTTP(_ method: String, _ path: String, body: String) throws -> (status: Int, body: String) {
        let r = try Subprocess.run([
            "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "5", "--unix-socket", run + "/berth.sock",
            "-X", method, "-H", "Content-Type: application/json", "--data-binary", body, "http://localhost" + path,
        ])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Stops berthd and removes everything it made, then the namespace and directories.
    func close() {
        stop()
        _ = try? host.namespace.run { try Subprocess.run(["env"] + environment + [Daemon.berthd, "--cleanup"]) }
        usleep(100_000)
        TestSupport.reapZombies(named: "berth-monitor")
        host.close()
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
