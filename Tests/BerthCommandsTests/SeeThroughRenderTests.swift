import ArgumentParser
import BerthAPI
import Testing

@testable import BerthCommands

/// The pure renderers behind `berth topology`, `berth ns` and `berth debug`.
@Suite struct SeeThroughRenderTests {
    static func iface(_ name: String, _ index: Int, kind: String? = nil, peer: Int? = nil, _ addrs: [String] = [])
        -> TopologyInterface
    {
        TopologyInterface(
            Name: name, Index: index, Kind: kind, OperState: "UP", Up: true, MTU: 1500, Addresses: addrs,
            PeerIndex: peer)
    }

    /// host: lo, up0, bridge br-front with one veth to web's eth0; web publishes 8080; hostc in host mode;
    /// side shares web's namespace.
    static let report = TopologyReport(
        Host: TopologyNamespace(Path: "/proc/self/ns/net", Inode: 100),
        Uplinks: [iface("lo", 1, ["127.0.0.1/8"]), iface("up0", 2, ["198.51.100.1/24"])],
        Bridges: [
            TopologyBridge(
                Network: "front", NetworkID: "f", Internal: false,
                Interface: iface("br-front", 5, kind: "bridge", ["172.18.0.1/16"]),
                Veths: [
                    TopologyVeth(
                        HostName: "veth1234567", HostIndex: 7, PeerIndex: 2, Container: "web",
                        ContainerInterface: "eth0")
                ])
        ],
        Containers: [
            TopologyContainer(
                ID: "w", Name: "web", NetworkMode: "front", Pid: 42,
                Namespace: TopologyNamespace(Path: "/run/netns/w", Inode: 200),
                SharesNamespaceWith: nil,
                Interfaces: [
                    iface("lo", 1, ["127.0.0.1/8"]), iface("eth0", 2, kind: "veth", peer: 7, ["172.18.0.2/16"]),
                ],
                Ports: [
                    TopologyPort(Proto: "tcp", HostIP: "", HostPort: 8080, ContainerIP: "172.18.0.2", ContainerPort: 80)
                ]),
            TopologyContainer(
                ID: "h", Name: "hostc", NetworkMode: "host", Pid: 43,
                Namespace: TopologyNamespace(Path: "/proc/43/ns/net", Inode: 100),
                SharesNamespaceWith: "host", Interfaces: [], Ports: []),
            TopologyContainer(
                ID: "s", Name: "side", NetworkMode: "container:web", Pid: 44,
                Namespace: TopologyNamespace(Path: "/proc/44/ns/net", Inode: 200),
                SharesNamespaceWith: "web", Interfaces: [], Ports: []),
        ],
        Warnings: [])

    @Test func textTree() {
        let text = TopologyRender.text(Self.report)
        let expected = """
            HOST  netns /proc/self/ns/net  net:[100]
            ├── lo  UP  127.0.0.1/8
            ├── up0  UP  198.51.100.1/24
            ├── br-front  bridge of network front  UP  172.18.0.1/16
            │   └── veth1234567@if2 (if7) <-> web:eth0
            └── also used by: hostc (network host)
            CONTAINERS
            ├── web  front  pid 42  net:[200] /run/netns/w
            │   ├── lo  UP  127.0.0.1/8
            │   ├── eth0@if7  UP  172.18.0.2/16
            │   ├── shared with: side
            │   └── published 0.0.0.0:8080/tcp -> 172.18.0.2:80
            ├── hostc  host  pid 43  -> the host's namespace
            └── side  container:web  pid 44  -> web's namespace net:[200]

            """
        #expect(text == expected)
    }

    @Test func noCarrierAndDefaultRoute() {
        var r = Self.report
        r.Bridges[0].Interface.Carrier = false
        r.Bridges[0].Interface.OperState = "DOWN"
        r.Uplinks[1].DefaultGateway = "198.51.100.254"
        let text = TopologyRender.text(r)
        #expect(text.contains("br-front  bridge of network front  DOWN NO-CARRIER  172.18.0.1/16\n"))
        #expect(text.contains("up0  UP  198.51.100.1/24  default via 198.51.100.254\n"))
        #expect(TopologyRender.dot(r).contains(#"198.51.100.1/24\ndefault via 198.51.100.254""#))
    }

    @Test func dotQuotesAndLinksBothEnds() {
        #expect(TopologyRender.quote(#"a "b" \c"#) == #""a \"b\" \\c""#)
        #expect(TopologyRender.quote("one\ntwo") == #""one\ntwo""#)
        let dot = TopologyRender.dot(Self.report)
        #expect(dot.hasPrefix("digraph berth {") && dot.hasSuffix("}\n"))
        // The veth pair joins the host end (if7) to eth0 (if2) inside web's namespace cluster.
        #expect(dot.contains(#""host/if7" -> "ns/200/if2" [dir=both, label="veth pair"];"#))
        #expect(dot.contains(#""host/if5" -> "host/if7" [dir=none, label="port"];"#))
        #expect(dot.contains(#"subgraph "cluster_ns/200""#))
        // The published port points at the interface that holds 172.18.0.2.
        #expect(dot.contains(#""port/tcp//8080" -> "ns/200/if2""#))
        // hostc sits in the host cluster, side in web's: each container node is declared exactly once.
        for id in ["w", "h", "s"] { #expect(dot.components(separatedBy: "\"container/\(id)\" [").count == 2) }
        // Balanced braces: every subgraph is closed.
        #expect(dot.filter { $0 == "{" }.count == dot.filter { $0 == "}" }.count)
    }

    @Test func dotEscapesHostileNames() {
        var r = Self.report
        r.Containers[0].Name = #"we"b\x"#
        r.Bridges[0].Network = "a\nb"
        let dot = TopologyRender.dot(r)
        #expect(dot.contains(#"we\"b\\x"#) && dot.contains(#"bridge of network a\nb"#))
        #expect(!dot.contains("a\nb"))
    }

    @Test func nsTableMarksTheReferenceAndGroups() {
        let refNs: [String: UInt64] = ["net": 1, "pid": 2, "user": 3]
        let a = ContainerNamespaces(
            ID: "a", Name: "a", Pid: 10, Namespaces: ["net": 1, "pid": 20, "user": 3],
            SharedWithReference: ["net", "user"], Cgroup: "/berth/a", MemoryLimit: 52_428_800, MemoryUsage: 1024)
        let b = ContainerNamespaces(
            ID: "b", Name: "b", Pid: 11, Namespaces: ["net": 30, "pid": 20, "user": 3], SharedWithReference: ["user"],
            Cgroup: "/berth/b", MemoryLimit: nil, MemoryUsage: nil)
        let shared = NamespaceReport.shared(reference: refNs, containers: [a, b])
        #expect(
            shared == [
                SharedNamespace(Type: "net", Inode: 1, Reference: true, Containers: ["a"]),
                SharedNamespace(Type: "pid", Inode: 20, Reference: false, Containers: ["a", "b"]),
                SharedNamespace(Type: "user", Inode: 3, Reference: true, Containers: ["a", "b"]),
            ])
        let report = NamespaceReport(
            Reference: NamespaceReference(Kind: "berthd", Pid: 5, Reason: "why", Namespaces: refNs),
            Containers: [a, b], Shared: shared)
        let text = NsCommand.text(report)
        #expect(text.hasPrefix("reference: berthd (pid 5) — why\n"))
        #expect(text.contains("net:[1]  berthd (reference), a\n"))
        #expect(text.contains("pid:[20]  a, b\n"))
        #expect(text.contains("a  pid 10  cgroup /berth/a  memory 1.0KiB used, limit 50.0MiB\n"))
        #expect(text.contains("b  pid 11  cgroup /berth/b  memory unknown used, limit no limit\n"))
        let netRow = text.split(separator: "\n").first { $0.hasPrefix("net ") }.map(String.init) ?? ""
        #expect(netRow.contains("1 *") && netRow.contains("30") && !netRow.contains("30 *"))
    }

    @Test func debugArgvBindsTheContainersFilesInAPrivateMountNamespace() {
        let info = DebugInfo(
            ID: "i", Name: "web", Pid: 42, NetworkNamespace: "/run/berth/netns/i", PidNamespace: "/proc/42/ns/pid",
            ResolvConf: "/c/resolv.conf", Hosts: "/c/hosts")
        let argv = DebugCommand.argv(info: info, enterPid: false, command: ["ss", "-ltn"])
        #expect(Array(argv.prefix(5)) == ["unshare", "--mount", "--propagation", "private", "--"])
        #expect(Array(argv.suffix(6)) == ["/run/berth/netns/i", "", "/c/resolv.conf", "/c/hosts", "ss", "-ltn"])
        #expect(DebugCommand.argv(info: info, enterPid: true, command: ["ps"]).suffix(4).first == "/proc/42/ns/pid")
        #expect(DebugCommand.script.contains(#"mount --bind "$src" "$dst""#))
    }
}

/// Argument parsing and help of the see-through commands.
@Suite struct SeeThroughParsingTests {
    @Test func debugTakesTheCommandAfterTheTerminator() throws {
        let d = try DebugCommand.parse(["--pid", "web", "--", "ss", "-ltn", "--all"])
        #expect(d.pid && d.container == "web" && d.command == ["ss", "-ltn", "--all"])
        let shell = try DebugCommand.parse(["web"])
        #expect(!shell.pid && shell.command.isEmpty)
        #expect(throws: (any Error).self) { try DebugCommand.parse([]) }
    }

    @Test func nsNeedsContainersOrAll() throws {
        #expect(try NsCommand.parse(["web", "db"]).containers == ["web", "db"])
        #expect(try NsCommand.parse(["--all", "--format", "json"]).all)
        #expect(throws: (any Error).self) { try NsCommand.parse([]) }
        #expect(throws: (any Error).self) { try NsCommand.parse(["--all", "web"]) }
        #expect(throws: (any Error).self) { try NsCommand.parse(["web", "--format", "{{.Name}}"]) }
    }

    @Test func topologyFormats() throws {
        #expect(try TopologyCommand.parse(["--format", "svg", "--network", "front"]).format == .svg)
        #expect(throws: (any Error).self) { try TopologyCommand.parse(["--format", "png"]) }
        #expect(TopologyCommand.helpMessage().contains("apt-get install graphviz"))
        #expect(DebugCommand.helpMessage().contains("resolv.conf"))
        #expect(NsCommand.helpMessage().contains("pid_for_children"))
    }
}
