import BerthAPI
import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tier 3: `berth topology`, `berth ns` and `berth debug` against the real kernel. Each daemon lives in a
/// scratch network namespace, so "the host" here is that namespace.
@Suite("see-through commands end to end (privileged)", .serialized) struct SeeThroughTests {
    /// `ip -j link` / `ip -j addr` as the kernel reports them in a namespace (nil path = the test's host).
    struct KernelLink: Decodable {
        var ifindex: Int
        var ifname: String
        var link_index: Int?
        var master: String?
        var operstate: String
        var flags: [String]?
        var addr_info: [AddrInfo]?
        struct AddrInfo: Decodable {
            var family: String
            var local: String
            var prefixlen: Int
        }
        var addresses: [String] {
            let all = addr_info ?? []
            return (all.filter { $0.family == "inet" } + all.filter { $0.family != "inet" }).map {
                "\($0.local)/\($0.prefixlen)"
            }
        }
    }

    func kernelLinks(_ d: Daemon, netns: String? = nil) async throws -> [KernelLink] {
        let prefix = netns.map { "nsenter --net=\($0) " } ?? ""
        let r = try await d.hostSh("\(prefix)ip -j -d addr show")
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode([KernelLink].self, from: Data(r.stdout.utf8))
    }

    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// Issue 5: two networks, a published port, a host-mode container and a `container:` sharer; every
    /// bridge, veth pair, address and namespace in `topology --format json` is what `ip -j` finds in the
    /// kernel, and the DOT output renders with Graphviz.
    @Test func topologyMatchesTheKernel() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["network", "create", "front"])
        try await d.ok(["network", "create", "back"])
        try await d.ok([
            "run", "-d", "--name", "web", "--network", "front", "-p", "8080:80", "busybox", "httpd", "-f", "-p", "80",
            "-h", "/etc",
        ])
        try await d.ok(["network", "connect", "back", "web"])
        try await d.ok(["run", "-d", "--name", "db", "--network", "back", "busybox", "sleep", "300"])
        try await d.ok(["run", "-d", "--name", "hostc", "--network", "host", "busybox", "sleep", "300"])
        try await d.ok(["run", "-d", "--name", "side", "--network", "container:web", "busybox", "sleep", "300"])
        try await d.ok(["run", "-d", "--name", "iso", "--network", "none", "busybox", "sleep", "300"])
        // The scratch host's uplink gets a default route (through an address nothing answers; no traffic is sent).
        #expect(try await d.hostSh("ip route add default via 198.51.100.254 dev up0").status == 0)

        let report = try decode(TopologyReport.self, try await d.ok(["topology", "--format", "json"]))
        #expect(report.Warnings.isEmpty)
        let hostInode = UInt64(try await d.hostSh("stat -L -c %i /proc/self/ns/net").stdout.trimmed)
        #expect(report.Host.Inode == hostInode)

        // Host side: uplinks and bridges exactly as `ip -j addr` shows them.
        let host = try await kernelLinks(d)
        let byName = Dictionary(host.map { ($0.ifname, $0) }, uniquingKeysWith: { a, _ in a })
        let up0 = try #require(report.Uplinks.first { $0.Name == "up0" })
        #expect(up0.Addresses.first == "198.51.100.1/24" && up0.Addresses == byName["up0"]?.addresses)
        #expect(up0.Index == byName["up0"]?.ifindex && up0.DefaultGateway == "198.51.100.254")
        #expect(report.Uplinks.filter { $0.DefaultGateway != nil }.map(\.Name) == ["up0"])
        #expect(Set(report.Bridges.map(\.Network)) == ["bridge", "front", "back"])
        for b in report.Bridges {
            let k = try #require(byName[b.Interface.Name], "bridge \(b.Interface.Name) not in the kernel")
            #expect(b.Interface.Index == k.ifindex)
            #expect(b.Interface.OperState == k.operstate)
            #expect(b.Interface.Carrier == (k.flags ?? []).contains("LOWER_UP"))
            #expect(b.Interface.Addresses == k.addresses)
            let ports = host.filter { $0.master == b.Interface.Name }
            #expect(Set(b.Veths.map(\.HostName)) == Set(ports.map(\.ifname)))
            for v in b.Veths {
                let kv = try #require(byName[v.HostName])
                #expect(v.HostIndex == kv.ifindex && v.PeerIndex == kv.link_index)
            }
        }
        // Bridged networks: not one uplink is a bridge or a bridge port.
        #expect(!report.Uplinks.contains { $0.Master != nil || $0.Kind == "bridge" })

        // web: its own namespace, two veth pairs (front and back), the published port.
        let web = try #require(report.Containers.first { $0.Name == "web" })
        #expect(web.SharesNamespaceWith == nil)
        let sandbox = try await d.inspect("web", "{{.NetworkSettings.SandboxKey}}")
        #expect(web.Namespace.Path == sandbox)
        let inside = try await kernelLinks(d, netns: sandbox)
        #expect(Set(web.Interfaces.map(\.Name)) == Set(inside.map(\.ifname)))
        for i in web.Interfaces {
            let k = try #require(inside.first { $0.ifname == i.Name })
            #expect(i.Index == k.ifindex && i.Addresses == k.addresses && i.OperState == k.operstate)
        }
        for net in ["front", "back"] {
            let bridge = try #require(report.Bridges.first { $0.Network == net })
            let veth = try #require(bridge.Veths.first { $0.Container == "web" }, "no veth of web on \(net)")
            let peer = try #require(inside.first { $0.ifname == veth.ContainerInterface })
            // Each end names the other's index: veth…@ifN on the host, ethX@ifM inside.
            #expect(peer.ifindex == veth.PeerIndex && peer.link_index == veth.HostIndex)
            let ip = try await d.inspect("web", "{{(index .NetworkSettings.Networks \"\(net)\").IPAddress}}")
            #expect(peer.addresses.contains { $0.hasPrefix(ip + "/") })
        }
        let frontIP = try await d.inspect("web", "{{(index .NetworkSettings.Networks \"front\").IPAddress}}")
        #expect(
            web.Ports == [
                TopologyPort(Proto: "tcp", HostIP: "", HostPort: 8080, ContainerIP: frontIP, ContainerPort: 80)
            ])
        // The port really is in the kernel's DNAT map.
        #expect(try await d.hostSh("nft list map ip \(d.table) pub-tcp").stdout.contains("8080"))

        // host mode sits in the host's namespace; side in web's.
        let hostc = try #require(report.Containers.first { $0.Name == "hostc" })
        #expect(hostc.SharesNamespaceWith == "host" && hostc.Namespace.Inode == hostInode && hostc.Interfaces.isEmpty)
        let side = try #require(report.Containers.first { $0.Name == "side" })
        #expect(side.SharesNamespaceWith == "web" && side.Namespace.Inode == web.Namespace.Inode)
        // --network none: a namespace of its own with only lo.
        let iso = try #require(report.Containers.first { $0.Name == "iso" })
        #expect(iso.SharesNamespaceWith == nil && iso.Interfaces.map(\.Name) == ["lo"] && iso.NetworkMode == "none")
        let db = try #require(report.Containers.first { $0.Name == "db" })
        #expect(db.Ports.isEmpty && db.Namespace.Inode != web.Namespace.Inode)

        // --network keeps only that network's bridge and the containers on it (and web's sharer).
        let back = try decode(
            TopologyReport.self, try await d.ok(["topology", "--network", "back", "--format", "json"]))
        #expect(back.Bridges.map(\.Network) == ["back"])
        #expect(Set(back.Containers.map(\.Name)) == ["web", "db", "side"])
        let onHost = try decode(
            TopologyReport.self, try await d.ok(["topology", "--network", "host", "--format", "json"]))
        #expect(onHost.Bridges.isEmpty && onHost.Containers.map(\.Name) == ["hostc"])
        let missing = try await d.cli(["topology", "--network", "nope"])
        #expect(missing.status == 1 && missing.stderr.contains("network nope not found"))

        // text and dot; Graphviz accepts the dot, and --format svg renders it.
        let text = try await d.ok(["topology"])
        #expect(
            text.contains("bridge of network front") && text.contains("web:eth0")
                && text.contains("0.0.0.0:8080/tcp -> \(frontIP):80"))
        #expect(text.contains("also used by: hostc"))
        let dot = try await d.ok(["topology", "--format", "dot"])
        let rendered = try await DedicatedThread.run { try Subprocess.run(["dot", "-Tsvg"], input: Array(dot.utf8)) }
        #expect(rendered.status == 0, "dot -Tsvg: \(rendered.stderr)")
        let svg = try await d.ok(["topology", "--format", "svg"])
        #expect(svg.contains("<svg") && svg.contains("web"))
        // Without Graphviz on PATH, svg says how to get it.
        let noDot = try await d.hostSh(
            "env \(d.environment.filter { !$0.hasPrefix("PATH=") }.map { "'\($0)'" }.joined(separator: " ")) BERTH_NO_AUTOSTART=1 PATH=/nonexistent \(Daemon.berth) topology --format svg"
        )
        #expect(noDot.status == 1 && noDot.stderr.contains("apt-get install graphviz"))

        #expect(text.contains("UP  198.51.100.1/24") && text.contains("default via 198.51.100.254"))
        for c in ["iso", "side", "hostc", "db", "web"] { try await d.ok(["rm", "-f", c]) }
    }

    /// Issue 5: `debug` runs host tools in the container's network namespace with its resolv.conf and
    /// hosts, leaves the host's files alone, and `--pid` shows the container's processes.
    @Test func debugEntersTheNamespaceWithTheContainersResolver() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["network", "create", "dnet"])
        try await d.ok([
            "run", "-d", "--name", "dweb", "--network", "dnet", "busybox", "httpd", "-f", "-p", "8088", "-h", "/etc",
        ])
        let hostResolv = try FileSystem.readText("/etc/resolv.conf")
        let hostHosts = try FileSystem.readText("/etc/hosts")
        let mountsBefore = try await d.machineSh("grep -c 'resolv.conf\\|/etc/hosts' /proc/self/mountinfo || true")
            .stdout

        let resolv = try await d.ok(["debug", "dweb", "--", "cat", "/etc/resolv.conf"])
        #expect(resolv.contains("nameserver 127.0.0.11"))
        #expect(resolv == (try await d.ok(["exec", "dweb", "cat", "/etc/resolv.conf"])))
        #expect(
            try await d.ok(["debug", "dweb", "--", "cat", "/etc/hosts"])
                == (try await d.ok(["exec", "dweb", "cat", "/etc/hosts"])))
        // The host's ss (not the container's; busybox has none) sees the container's listener.
        let ss = try await d.ok(["debug", "dweb", "--", "ss", "-ltn"])
        #expect(ss.contains(":8088"))
        #expect(!(try await d.hostSh("ss -ltn").stdout.contains(":8088")))
        // The host's ip sees the container's eth0 and address.
        let ip = try await d.inspect("dweb", "{{.NetworkSettings.Networks.dnet.IPAddress}}")
        #expect(try await d.ok(["debug", "dweb", "--", "ip", "-o", "-4", "addr", "show", "eth0"]).contains(ip + "/"))
        // The command's exit status is berth's.
        #expect(try await d.cli(["debug", "dweb", "--", "sh", "-c", "exit 3"]).status == 3)
        // --pid: the container's processes only (httpd is its PID 1), via a fresh /proc.
        let ps = try await d.ok(["debug", "--pid", "dweb", "--", "ps", "-e", "-o", "pid=,comm="])
        let procs = ps.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(procs.contains("1 httpd"))
        #expect(!procs.contains { $0.hasSuffix(" berthd") })
        // Without --pid the host's processes stay visible.
        #expect(try await d.ok(["debug", "dweb", "--", "ps", "-e", "-o", "comm="]).contains("berthd"))

        // The host's files and mount table are untouched.
        #expect(try FileSystem.readText("/etc/resolv.conf") == hostResolv)
        #expect(try FileSystem.readText("/etc/hosts") == hostHosts)
        #expect(
            try await d.machineSh("grep -c 'resolv.conf\\|/etc/hosts' /proc/self/mountinfo || true").stdout
                == mountsBefore)

        // Not root: refused before anything is entered.
        let env = d.environment.map { "'\($0)'" }.joined(separator: " ")
        let user = try await d.hostSh(
            "setpriv --reuid 65534 --regid 65534 --clear-groups env \(env) BERTH_NO_AUTOSTART=1 \(Daemon.berth) debug dweb -- true"
        )
        #expect(user.status == 1 && user.stderr.contains("berth debug must run as root"), "\(user.stderr)")
        // Errors: a stopped container, an unknown one.
        try await d.ok(["stop", "-t", "1", "dweb"])
        let stopped = try await d.cli(["debug", "dweb", "--", "true"])
        #expect(stopped.status == 1 && stopped.stderr.contains("container dweb is not running"))
        let unknown = try await d.cli(["debug", "nope", "--", "true"])
        #expect(unknown.status == 1 && unknown.stderr.contains("No such container: nope"))
        try await d.ok(["rm", "-f", "dweb"])
    }

    /// Issue 5: `ns` shows a host-network container sharing net with the reference (and only the
    /// namespaces berth never isolates besides), a bridged one sharing none of its own, and
    /// `--pid container:X` sharing X's pid namespace; plus cgroup and memory.
    @Test func namespacesAndSharing() async throws {
        let d = try Daemon()
        defer { d.close() }
        try await d.startOffPool()
        try await d.ok(["run", "-d", "--name", "nh", "--network", "host", "busybox", "sleep", "300"])
        let nbId = try await d.ok(["run", "-d", "--name", "nb", "-m", "50m", "busybox", "sleep", "300"])
        try await d.ok(["run", "-d", "--name", "np", "--pid", "container:nb", "busybox", "sleep", "300"])

        let one = try decode(NamespaceReport.self, try await d.ok(["ns", "nh", "--format", "json"]))
        // PID 1 refuses /proc/1/ns here; the report must say which reference it used.
        let pid1Readable = (try? NetworkNamespace(path: "/proc/1/ns/net").inode()) != nil
        #expect(one.Reference.Kind == (pid1Readable ? "pid1" : "berthd"))
        if !pid1Readable {
            #expect(one.Reference.Pid == Int(d.pid) && one.Reference.Reason.contains("berthd"))
            // berthd runs in the scratch "host" namespace: net is the one a host-mode container gets.
            #expect(
                one.Reference.Namespaces["net"]
                    == UInt64(try await d.hostSh("stat -L -c %i /proc/self/ns/net").stdout.trimmed))
        }
        let nh = try #require(one.Containers.first)
        #expect(nh.Name == "nh")
        // berth (like Docker) gives a container no user or time namespace of its own; everything else is its
        // own, UTS included (it holds the host's name, but renaming it cannot rename the host).
        #expect(nh.SharedWithReference == (pid1Readable ? ["time", "user"] : ["net", "time", "user"]))
        for t in ["cgroup", "ipc", "mnt", "pid", "uts"] { #expect(nh.Namespaces[t] != one.Reference.Namespaces[t]) }
        #expect(try await d.ok(["exec", "nh", "hostname"]) == (try await d.hostSh("hostname").stdout.trimmed))
        let hostPid = Int32(try await d.inspect("nh", "{{.State.Pid}}")) ?? 0
        #expect(nh.Namespaces["net"] == (try NetworkNamespace(path: "/proc/\(hostPid)/ns/net").inode()))

        let all = try decode(NamespaceReport.self, try await d.ok(["ns", "--all", "--format", "json"]))
        #expect(all.Containers.map(\.Name) == ["nb", "nh", "np"])
        let nb = try #require(all.Containers.first { $0.Name == "nb" })
        let np = try #require(all.Containers.first { $0.Name == "np" })
        #expect(nb.SharedWithReference == ["time", "user"])
        #expect(np.Namespaces["pid"] == nb.Namespaces["pid"] && np.Namespaces["net"] != nb.Namespaces["net"])
        let pidGroup = all.Shared.filter { $0.Type == "pid" }
        #expect(
            pidGroup.count == 1 && pidGroup.first?.Containers == ["nb", "np"] && pidGroup.first?.Reference == false)
        let netGroup = all.Shared.filter { $0.Type == "net" }
        #expect(netGroup.map(\.Containers) == (pid1Readable ? [] : [["nh"]]))
        // Only user and time (never isolated), net (nh) and pid (nb+np, for themselves and their children).
        let sharedTypes = Set(all.Shared.map(\.Type)).subtracting(["user", "time"])
        #expect(sharedTypes == (pid1Readable ? ["pid", "pid_for_children"] : ["net", "pid", "pid_for_children"]))
        // cgroup and memory of nb: its own cgroup, the -m 50m limit, some usage.
        #expect(nb.Cgroup.hasSuffix("/berth/" + nbId))
        #expect(nb.MemoryLimit == Int64(52_428_800))
        #expect((nb.MemoryUsage ?? 0) > 0)
        #expect(nh.MemoryLimit == nil)

        let text = try await d.ok(["ns", "--all"])
        #expect(text.contains("pid:[\(nb.Namespaces["pid"] ?? 0)]  nb, np"))
        #expect(text.contains("limit 50.0MiB"))
        #expect(text.contains(pid1Readable ? "reference: PID 1" : "reference: berthd"))

        let usage = try await d.cli(["ns"])
        #expect(usage.status == 64 && usage.stderr.contains("--all"))
        try await d.ok(["stop", "-t", "1", "nh"])
        let stopped = try await d.cli(["ns", "nh"])
        #expect(stopped.status == 1 && stopped.stderr.contains("container nh is not running"))
        for c in ["np", "nb", "nh"] { try await d.ok(["rm", "-f", c]) }
    }
}
