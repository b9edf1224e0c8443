import BerthAPI
import BerthClient
import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finds berthd, starting it in the background when none answers (unless BERTH_NO_AUTOSTART=1).
enum Connection {
    static func client() throws -> BerthClient {
        let env = ProcessInfo.processInfo.environment
        let client = BerthClient(socketPath: BerthClient.defaultSocketPath(environment: env))
        // A connect alone tells whether berthd listens: no round trip before the real request.
        if client.acceptsConnections() { return client }
        do {
            _ = try client.ping()
            return client
        } catch is BerthClientError where env["BERTH_NO_AUTOSTART"] != "1" {
            try autostart(client: client, environment: env)
            return client
        }
    }

    /// `berthd` next to this executable, else from PATH.
    static func berthdPath() -> String {
        if let exe = try? FileSystem.readLink("/proc/self/exe") {
            let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            if FileSystem.exists(dir + "/berthd") { return dir + "/berthd" }
        }
        return "berthd"
    }

    static func autostart(client: BerthClient, environment env: [String: String]) throws {
        let socketDir = client.socketPath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        let run = env["BERTH_RUN"].flatMap { $0.isEmpty ? nil : $0 } ?? (socketDir.isEmpty ? "/run/berth" : socketDir)
        try FileSystem.makeDirectories(run, mode: 0o711)
        let log = run + "/berthd.log"
        let pid = try Subprocess.spawnDetached([berthdPath()], logPath: log)
        printError("berth: started berthd (pid \(pid)), log in \(log)")
        for _ in 0..<200 {
            if (try? client.ping()) == true { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(50_000)
        }
        let tail = ((try? FileSystem.readText(log)) ?? "").split(separator: "\n").suffix(10).joined(separator: "\n")
        throw BerthError(
            .system, "berthd did not start; the last lines of \(log):\n\(tail)")
    }
}
