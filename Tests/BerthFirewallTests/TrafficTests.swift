import BerthAddressing
import BerthCore
import BerthSystem
import BerthTestSupport
import Testing

@testable import BerthFirewall

/// Real packets through berth's ruleset. The topology is built by hand with `ip` (the engine's netlink
/// module is tested elsewhere), all inside scratch namespaces:
///
///     outside 192.0.2.2 ── up0 192.0.2.1 [host] ── br web   172.30.1.1/24 ── a .2, b .3
///                                                ├─ br other 172.30.2.1/24 ── c .2
///                                                └─ br vault 172.30.3.1/24 ── d .2   (internal)
///
/// "host" plays the machine berthd runs on; web publishes a's port 80 as 8080/tcp (every address),
/// 127.0.0.1:8081/tcp and 5353/udp. Servers answer with their name and the peer address they saw, so each
/// expectation also shows whether and how the source was NAT'ed.
@Suite("traffic through the ruleset (privileged)") struct TrafficTests {
    static let web = FirewallNetwork(
        id: Identifier.random(), bridge: bridgeName(), subnet: Fixture.net("172.30.1.0/24"),
        gateway: Fixture.ip("172.30.1.1"))
    static let other = FirewallNetwork(
        id: Identifier.random(), bridge: bridgeName(), subnet: Fixture.net("172.30.2.0/24"),
        gateway: Fixture.ip("172.30.2.1"))
    static let vault = FirewallNetwork(
        id: Identifier.random(), bridge: bridgeName(), subnet: Fixture.net("172.30.3.0/24"),
        gateway: Fixture.ip("172.30.3.1"), internal: true)

    static func bridgeName() -> InterfaceName { InterfaceName(stringLiteral: "br-" + TestSupport.randomHex(12)) }

    static func ports(endpoint: String) -> [PublishedPort] {
        let a = Fixture.ip("172.30.1.2")
        return [
            PublishedPort(networkId: web.id, endpointId: endpoint, hostPort: 8080, containerIP: a, containerPort: 80),
            PublishedPort(
                networkId: web.id, endpointId: endpoint, hostIP: .loopback, hostPort: 8081, containerIP: a,
                containerPort: 80),
            PublishedPort(
                networkId: web.id, endpointId: endpoint, proto: .udp, hostPort: 5353, containerIP: a, containerPort: 53),
            // Published on the internal network: must not be reachable at all.
            PublishedPort(
                networkId: vault.id, endpointId: Identifier.random(), hostPort: 9090,
                containerIP: Fixture.ip("172.30.3.2"), containerPort: 80),
        ]
    }

    /// Builds the topology of the suite's doc comment.
    static func build(_ lab: Lab) throws {
        for name in ["host", "outside", "a", "b", "c", "d"] { try lab.namespace(name) }
        try lab.sh(
            "host",
            """
            set -e
            echo 1 > /proc/sys/net/ipv4/ip_forward
            ip link add up0 type veth peer name eth0 netns \(lab["outside"].path)
            ip addr add 192.0.2.1/24 dev up0
            ip link set up0 up
            """)
        // outside routes every container subnet to the host, so "unreachable" below means "dropped by
        // berth", never "no route".
        try lab.sh(
            "outside",
            "set -e; ip addr add 192.0.2.2/24 dev eth0; ip link set eth0 up; ip route add 172.30.0.0/16 via 192.0.2.1")
        for n in [web, other, vault] {
            // The engine sets route_localnet on every bridge: without it the kernel drops 127.0.0.1-sourced
            // packets DNAT'ed onto the bridge.
            try lab.sh(
                "host",
                """
                set -e
                ip link add \(n.bridge) type bridge
                ip addr add \(n.gateway)/\(n.subnet.prefixLength) dev \(n.bridge)
                ip link set \(n.bridge) up
                echo 1 > /proc/sys/net/ipv4/conf/\(n.bridge)/route_localnet
                """)
        }
        for (container, network, address) in [
            ("a", web, "172.30.1.2"), ("b", web, "172.30.1.3"), ("c", other, "172.30.2.2"), ("d", vault, "172.30.3.2"),
        ] {
            // Hairpin mode on the port, as the engine must set it (Docker does too): with br_netfilter
            // loaded, a container reaching its own published port is DNAT'ed at the bridge and the frame
            // goes back out the port it came in on.
            try lab.sh(
                "host",
                """
                set -e
                ip link add v\(container) type veth peer name eth0 netns \(lab[container].path)
                ip link set v\(container) master \(network.bridge) up
                ip link set v\(container) type bridge_slave hairpin on
                """)
            try lab.sh(
                container,
                "set -e; ip addr add \(address)/24 dev eth0; ip link set eth0 up; ip route add default via \(network.gateway)"
            )
        }
        for name in ["a", "b", "c", "d", "outside"] { try lab.startServer(in: name) }
    }

    @Test func publishedPortsHairpinIsolationAndInternalNetworks() throws {
        let lab = try Lab()
        defer { lab.close() }
        try Self.build(lab)
        let driver = NftablesDriver(namespace: lab["host"].namespace)
        let table = "bt" + TestSupport.randomHex(8)
        let state = FirewallState(
            table: table, networks: [Self.web, Self.other, Self.vault], ports: Self.ports(endpoint: Identifier.random())
        )
        try driver.apply(state)
        defer { try? driver.remove(table: table) }
        let dropTimeout = 0.8

        // P1: the host reaches the published port on 127.0.0.1 and on its own address, no userland proxy.
        #expect(lab.probe(from: "host", .tcp, "127.0.0.1", 8080) == "a 172.30.1.1 @127.0.0.1:8080")
        #expect(lab.probe(from: "host", .tcp, "192.0.2.1", 8080) == "a 192.0.2.1 @192.0.2.1:8080")
        #expect(lab.probe(from: "host", .udp, "127.0.0.1", 5353) == "a 172.30.1.1 @127.0.0.1:5353")
        // From outside, the client's own address reaches the container (no masquerade inbound).
        #expect(lab.probe(from: "outside", .tcp, "192.0.2.1", 8080) == "a 192.0.2.2 @192.0.2.1:8080")
        // A port published on 127.0.0.1 only answers there.
        #expect(lab.probe(from: "host", .tcp, "127.0.0.1", 8081) == "a 172.30.1.1 @127.0.0.1:8081")
        #expect(lab.probe(from: "outside", .tcp, "192.0.2.1", 8081, timeout: dropTimeout) == nil)

        // Hairpin: a neighbour, and the container itself, through the host's address (tcp and udp).
        #expect(lab.probe(from: "b", .tcp, "192.0.2.1", 8080) == "a 172.30.1.1 @192.0.2.1:8080")
        #expect(lab.probe(from: "b", .udp, "192.0.2.1", 5353) == "a 172.30.1.1 @192.0.2.1:5353")
        #expect(lab.probe(from: "a", .tcp, "192.0.2.1", 8080) == "a 172.30.1.1 @192.0.2.1:8080")

        // Out: masqueraded to the host's address (outside has no route back to 172.30.2.0/24 otherwise
        // than through the host, and sees the host as the client).
        #expect(lab.probe(from: "a", .tcp, "192.0.2.2", 80) == "outside 192.0.2.1 @192.0.2.2:80")
        #expect(lab.probe(from: "c", .tcp, "192.0.2.2", 80) == "outside 192.0.2.1 @192.0.2.2:80")
        // Same network, and host to container, directly.
        #expect(lab.probe(from: "a", .tcp, "172.30.1.3", 80) == "b 172.30.1.2 @172.30.1.3:80")
        #expect(lab.probe(from: "host", .tcp, "172.30.1.2", 80) == "a 172.30.1.1 @172.30.1.2:80")

        // U4: two networks cannot reach each other directly, in either direction…
        #expect(lab.probe(from: "c", .tcp, "172.30.1.2", 80, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "a", .tcp, "172.30.2.2", 80, timeout: dropTimeout) == nil)
        // …but a published port is published to everyone who reaches the host, other networks included.
        #expect(lab.probe(from: "c", .tcp, "192.0.2.1", 8080) == "a 172.30.1.1 @192.0.2.1:8080")
        // Unsolicited traffic routed to a container from outside is dropped.
        #expect(lab.probe(from: "outside", .tcp, "172.30.1.2", 80, timeout: dropTimeout) == nil)

        // --internal: no way out, no way in, not even through a published port; only the host itself
        // (not forwarded traffic) reaches it.
        #expect(lab.probe(from: "d", .tcp, "192.0.2.2", 80, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "d", .tcp, "172.30.1.2", 80, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "d", .tcp, "172.30.3.1", 8080, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "outside", .tcp, "172.30.3.2", 80, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "host", .tcp, "127.0.0.1", 9090, timeout: dropTimeout) == nil)
        #expect(lab.probe(from: "host", .tcp, "172.30.3.2", 80) == "d 172.30.3.1 @172.30.3.2:80")

        // The drops above were berth's own rules: each one's counter moved.
        let counted = try driver.counters(table: table)
        func dropped(_ chain: String) -> UInt64 { counted.filter { $0.chain == chain }.reduce(0) { $0 + $1.packets } }
        #expect(dropped(RulesetBuilder.fromChain(Self.other)) > 0)  // c → a
        #expect(dropped(RulesetBuilder.fromChain(Self.web)) > 0)  // a → c
        #expect(dropped(RulesetBuilder.fromChain(Self.vault)) > 0)  // d → anywhere
        #expect(dropped(RulesetBuilder.toChain(Self.vault)) > 0)  // outside → d
        #expect(dropped(RulesetBuilder.toChain(Self.web)) > 0)  // outside → a, unpublished
    }

    /// Docker sets the iptables FORWARD policy to drop; berth detects it and adds narrow accepts.
    @Test func trafficFlowsWhenTheHostForwardPolicyDrops() throws {
        let lab = try Lab()
        defer { lab.close() }
        try Self.build(lab)
        let driver = NftablesDriver(namespace: lab["host"].namespace)
        let table = "bt" + TestSupport.randomHex(8)
        try lab.sh(
            "host",
            "nft 'add table ip filter; add chain ip filter FORWARD { type filter hook forward priority filter; policy drop; }'"
        )
        #expect(try driver.hostForwardPolicyIsDrop())

        // Without the compatibility rules, Docker's policy stops berth's traffic.
        let state = FirewallState(
            table: table, networks: [Self.web, Self.other, Self.vault], ports: Self.ports(endpoint: Identifier.random())
        )
        try driver.apply(state)
        defer { try? driver.remove(table: table) }
        #expect(lab.probe(from: "outside", .tcp, "192.0.2.1", 8080, timeout: 0.8) == nil)
        #expect(lab.probe(from: "a", .tcp, "192.0.2.2", 80, timeout: 0.8) == nil)

        var compatible = state
        compatible.hostForwardPolicyIsDrop = true
        try driver.apply(compatible)
        #expect(lab.probe(from: "outside", .tcp, "192.0.2.1", 8080) == "a 192.0.2.2 @192.0.2.1:8080")
        #expect(lab.probe(from: "a", .tcp, "192.0.2.2", 80) == "outside 192.0.2.1 @192.0.2.2:80")
        #expect(lab.probe(from: "b", .tcp, "192.0.2.1", 8080) == "a 172.30.1.1 @192.0.2.1:8080")
        #expect(lab.probe(from: "a", .tcp, "172.30.1.3", 80) == "b 172.30.1.2 @172.30.1.3:80")
        // The accepts are narrow: isolation and --internal still hold.
        #expect(lab.probe(from: "c", .tcp, "172.30.1.2", 80, timeout: 0.8) == nil)
        #expect(lab.probe(from: "d", .tcp, "192.0.2.2", 80, timeout: 0.8) == nil)

        // Removing berth leaves Docker's chain as it found it.
        try driver.remove(table: table)
        let rest = try lab.sh("host", "nft list chain ip filter FORWARD")
        #expect(!rest.contains(table))
        #expect(rest.contains("policy drop;"))
    }
}
