import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tier 3: `--dns` on a user-defined network: the container's resolv.conf keeps 127.0.0.11 and the
/// embedded resolver forwards names it does not own to the container's own servers (here a stub
/// the test starts on loopback in the daemon's namespace), not to the daemon's upstreams.
@Suite("per-container DNS upstreams end to end (privileged)", .serialized) struct DNSUpstreamTests {
    @Test func dnsServersOfAContainerOnAUserNetwork() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        let script = d.host.directory + "/stub.py"
        let log = d.host.directory + "/stub.log"
        try FileSystem.writeFile(script, Array(TestSupport.dnsStubScript(address: "127.0.0.77", port: 53).utf8))
        let stubPid = try await d.host.namespace.run { try Subprocess.spawnDetached(["python3", script], logPath: log) }
        defer {
            kill(stubPid, SIGTERM)
            _ = waitpid(stubPid, nil, 0)
        }
        for _ in 0..<100 where !((try? FileSystem.readText(log)) ?? "").contains("ready") {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await d.ok(["network", "create", "updns"])
        try await d.ok(["run", "-d", "--name", "db", "--network", "updns", "busybox", "sleep", "300"])
        // With --dns: own names still answered by berth, everything else by the container's server.
        let withDNS = try await d.cli([
            "run", "--rm", "--network", "updns", "--dns", "127.0.0.77", "busybox", "sh", "-c",
            "cat /etc/resolv.conf; nslookup example.test; nslookup db",
        ])
        #expect(withDNS.stdout.contains("nameserver 127.0.0.11"), "\(withDNS.stdout)")
        #expect(!withDNS.stdout.contains("nameserver 127.0.0.77"))
        #expect(withDNS.stdout.contains("192.0.2.77"), "\(withDNS.stdout)\(withDNS.stderr)")
        let dbIP = try await d.inspect("db", "{{.NetworkSettings.Networks.updns.IPAddress}}")
        #expect(withDNS.stdout.contains(dbIP))
        // Without: the daemon's upstreams (the machine's resolvers, unreachable from this test's
        // namespace) are asked, so the stub's answer never appears.
        let without = try await d.cli(["run", "--rm", "--network", "updns", "busybox", "nslookup", "example.test"])
        #expect(!without.stdout.contains("192.0.2.77"))
        // A server that is not an address is refused before anything is made.
        let bad = try await d.cli(["run", "--rm", "--network", "updns", "--dns", "not-an-ip", "busybox", "true"])
        #expect(bad.status == 125 && bad.stderr.contains("not-an-ip"), "\(bad.stderr)")
        try await d.ok(["rm", "-f", "db"])
        try await d.ok(["network", "rm", "updns"])
    }
}
