import BerthAddressing

@testable import BerthFirewall

/// Networks and endpoints the tests share. Ids are full 64-hex ids whose first 12 digits are easy to
/// spot in the snapshots.
enum Fixture {
    static func id(_ prefix: String) -> String { prefix + String(repeating: "0", count: 64 - prefix.count) }

    static func net(_ text: String) -> IPv4Network { IPv4Network(text)! }
    static func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

    /// A user network like `berth network create web`.
    static let web = FirewallNetwork(
        id: id("aaaa11112222"), bridge: "br-aaaa11112222", subnet: net("172.18.0.0/16"), gateway: ip("172.18.0.1"))
    /// A second user network, to be isolated from `web`.
    static let db = FirewallNetwork(
        id: id("bbbb33334444"), bridge: "br-bbbb33334444", subnet: net("172.19.0.0/16"), gateway: ip("172.19.0.1"))
    /// An `--internal` network.
    static let vault = FirewallNetwork(
        id: id("cccc55556666"), bridge: "br-cccc55556666", subnet: net("172.20.0.0/16"), gateway: ip("172.20.0.1"),
        internal: true)

    static let endpointA = id("e0e0aaaa0001")
    static let endpointB = id("e0e0bbbb0002")

    /// `-p 8080:80` on web's container 172.18.0.2.
    static let http = PublishedPort(
        networkId: web.id, endpointId: endpointA, hostPort: 8080, containerIP: ip("172.18.0.2"), containerPort: 80)
    /// `-p 127.0.0.1:8443:443`.
    static let httpsLoopback = PublishedPort(
        networkId: web.id, endpointId: endpointA, hostIP: ip("127.0.0.1"), hostPort: 8443,
        containerIP: ip("172.18.0.2"), containerPort: 443)
    /// `-p 5353:53/udp` on web's container 172.18.0.3.
    static let dns = PublishedPort(
        networkId: web.id, endpointId: endpointB, proto: .udp, hostPort: 5353, containerIP: ip("172.18.0.3"),
        containerPort: 53)
    /// `-p 10.0.0.5:6000:6000/udp`.
    static let udpOnAddress = PublishedPort(
        networkId: web.id, endpointId: endpointB, proto: .udp, hostIP: ip("10.0.0.5"), hostPort: 6000,
        containerIP: ip("172.18.0.3"), containerPort: 6000)

    /// Every representative state of the snapshot tests, by name (the check-mode test loads them all).
    static let states: [(String, FirewallState)] = [
        ("empty", FirewallState()),
        ("one network", FirewallState(networks: [web])),
        ("two networks, one internal", FirewallState(networks: [vault, web])),
        ("ports", FirewallState(networks: [web], ports: [dns, http, udpOnAddress, httpsLoopback])),
        ("forward drop", FirewallState(networks: [web, vault], hostForwardPolicyIsDrop: true)),
        ("three networks and ports", FirewallState(networks: [db, web, vault], ports: [http, dns])),
    ]
}
