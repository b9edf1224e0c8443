import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

/// Tier 3: `berth inspect`'s live view agrees with the kernel (issue 5): the host veth and both
/// ifindexes, the namespace inode, the published port, the resolver's sockets in the namespace.
@Suite("inspect live view end to end (privileged)", .serialized) struct LiveInspectTests {
    @Test func liveViewMatchesTheKernel() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["network", "create", "livenet"])
        try await d.ok(["run", "-d", "--name", "lv", "--network", "livenet", "-p", "8099:80", "busybox", "httpd", "-f", "-p", "80"])
        let live = try JSONSerialization.jsonObject(with: Data(try await d.ok(["inspect", "-f", "{{json .Live}}", "lv"]).utf8)) as? [String: Any]
        let l = try #require(live)
        #expect(l["Running"] as? Bool == true)
        // The namespace inode is the one the container's process is in.
        let pid = try await d.inspect("lv", "{{.State.Pid}}")
        let inode = try await d.machineSh("stat -L -c %i /proc/\(pid)/ns/net").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect("\((l["Namespace"] as? [String: Any])?["Inode"] ?? "")" == inode)
        // eth0@ifN: N is the host veth's ifindex, and the veth's peer is eth0's index.
        let eth0 = try #require((l["Interfaces"] as? [[String: Any]])?.first { $0["Name"] as? String == "eth0" })
        let veth = try #require(eth0["HostVeth"] as? String)
        let hostIndex = try await d.hostSh("ip -o link show \(veth) | cut -d: -f1").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect("\(eth0["PeerIndex"] ?? "")" == hostIndex)
        let linkInside = try await d.ok(["exec", "lv", "ip", "-o", "link", "show", "eth0"])
        #expect(linkInside.contains("eth0@if\(hostIndex)"))
        #expect((eth0["Bridge"] as? String)?.hasPrefix("br-") == true)
        // The published port as the DNAT map holds it.
        let ports = try #require(l["Ports"] as? [[String: Any]])
        #expect(ports.contains { "\($0["HostPort"] ?? "")" == "8099" && "\($0["ContainerPort"] ?? "")" == "80" })
        // The resolver's two sockets, listening inside the container's namespace.
        let sockets = try #require(l["DNSSockets"] as? [String])
        #expect(sockets.count == 2)
        let listening = try await d.ok(["exec", "lv", "netstat", "-lnu"])
        let udpPort = sockets.first { $0.hasPrefix("udp") }?.split(separator: ":").last.map(String.init) ?? "?"
        #expect(listening.contains("127.0.0.11:\(udpPort)"), "\(listening)")
        // A stopped container's live view says so.
        try await d.ok(["stop", "-t", "1", "lv"])
        #expect(try await d.ok(["inspect", "-f", "{{.Live.Running}}", "lv"]) == "false")
        try await d.ok(["rm", "lv"])
        try await d.ok(["network", "rm", "livenet"])
    }
}
