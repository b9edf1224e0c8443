import BerthAddressing
import BerthCore
import BerthIPAM
import BerthNetlink
import BerthSystem

/// `NetworkKernel` on the real kernel: rtnetlink for links, addresses and routes, /proc/sys for the
/// two sysctls bridged networking needs. Nothing here runs `ip` or `sysctl`.
///
/// The host namespace gets one long-lived netlink connection; each sandbox gets a short-lived one,
/// opened inside it on a dedicated thread (see BerthSystem/README.md).
public final class LinuxNetworkKernel: NetworkKernel {
    let host: NetworkNamespace
    let connection: NetlinkConnection
    let hostIsCurrent: Bool

    /// Works in `host` (the process's own namespace unless a test passes a throwaway one).
    public init(host: NetworkNamespace = .current) throws {
        self.host = host
        hostIsCurrent = host.path == NetworkNamespace.current.path
        connection = try NetlinkConnection(namespace: hostIsCurrent ? nil : host)
    }

    public func hostRoutes() throws -> [HostRoute] {
        let names = Dictionary(try connection.links().map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        return try connection.routes(family: .ipv4, table: .main).compactMap { r in
            let destination = r.destination?.ipv4 ?? IPv4Network(.any, prefixLength: 0)
            return HostRoute(destination: destination, interface: r.outputInterface.flatMap { names[$0] })
        }
    }

    public func defaultRouteMTU() throws -> Int? {
        let defaults = try connection.routes(family: .ipv4, table: .main).filter { $0.destination == nil }
        guard let oif = defaults.compactMap(\.outputInterface).first else { return nil }
        return try connection.link(index: oif)?.mtu
    }

    public func ensureBridge(_ spec: BridgeSpec) throws {
        let name = spec.name.value
        if let existing = try connection.link(named: name) {
            guard existing.kind == .bridge else {
                throw BerthError.conflict(
                    "\(name) exists on the host but is a \(existing.kind?.rawValue ?? "device"), not a bridge; remove it or choose another bridge name")
            }
            if existing.mtu != spec.mtu { try connection.setMTU(.name(name), to: spec.mtu) }
            // An adopted bridge (left by a crash or an earlier berth) keeps only the gateway address, so
            // a stale subnet cannot linger on it and collide with the one the network has now.
            for a in try connection.addresses(on: .name(name), family: .ipv4) {
                if case .v4(let iface) = a.address, iface != spec.gateway {
                    try connection.deleteAddress(iface, from: .name(name))
                }
            }
        } else {
            // An explicit MAC (02:42 + random, like docker0): without one the bridge takes its first port's
            // address and drops to 00:00:00:00:00:00 when the last port leaves.
            var rng = SystemRandomNumberGenerator()
            let mac = MACAddress(bytes: [0x02, 0x42] + (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) })
            try connection.createBridge(name: name, mtu: spec.mtu, mac: mac)
            try settleCarrier(bridge: name, mtu: spec.mtu)
            // Setting the MTU explicitly also stops the kernel from lowering it to its smallest port's.
            try connection.setMTU(.name(name), to: spec.mtu)
        }
        do {
            try connection.addAddress(spec.gateway, to: .name(name))
        } catch let e as NetlinkError where e.errno == .EEXIST {
            // Adopted bridge that already has the gateway address.
        }
        try connection.setUp(.name(name))
    }

    /// Prefix of the short-lived veth `settleCarrier` uses; the reconciler removes any it finds.
    public static let carrierProbePrefix = "bcarrier"

    /// A new Linux bridge reports carrier until its first port comes and goes; berth's bridges, like
    /// Docker's docker0 in the seeds, show NO-CARRIER while nothing is attached (scenario B1). Enslaving a
    /// throwaway veth and deleting it makes the kernel recompute the bridge's carrier: off.
    func settleCarrier(bridge: String, mtu: Int) throws {
        let probe = LinuxNetworkKernel.carrierProbePrefix + String(Identifier.random().prefix(6))
        try connection.createVeth(name: probe, peerName: probe + "p", mtu: mtu)
        defer { try? connection.deleteLink(named: probe) }
        try connection.setMaster(.name(probe), master: .name(bridge))
    }

    public func linkExists(_ name: String) throws -> Bool { try connection.link(named: name) != nil }

    public func deleteLink(_ name: String) throws { try connection.deleteLink(named: name) }

    public func linkNames(prefix: String) throws -> [String] {
        try connection.links().map(\.name).filter { $0.hasPrefix(prefix) }
    }

    /// `ip link add vethX type veth peer name eth0 netns SANDBOX address MAC; ip link set vethX master BR hairpin on up`,
    /// then inside the sandbox `ip addr add A dev eth0; ip link set eth0 up; ip route add default via GW`.
    /// On failure the pair is deleted again (deleting the host end removes the peer).
    public func attach(_ spec: AttachmentSpec) throws {
        let hostIf = spec.hostInterface.value
        let peer = spec.sandboxInterface.value
        try connection.createVeth(
            name: hostIf, peerName: peer, peerNamespace: NetworkNamespace(path: spec.sandbox), mtu: spec.mtu,
            peerMAC: spec.mac)
        do {
            try connection.setMaster(.name(hostIf), master: .name(spec.bridge.value))
            // Hairpin, as Docker sets it without its userland proxy: lets the container reach its own
            // published port through the host's address (the reply leaves by the port it came in on).
            try connection.setHairpin(.name(hostIf), true)
            // IPv4-only networks: neither end gets an IPv6 link-local address (no multicast flooded to
            // every container at each start). Not fatal where the kernel has no IPv6.
            try? connection.disableIPv6AddressGeneration(.name(hostIf))
            try connection.setUp(.name(hostIf))
            let inside = try NetlinkConnection(namespace: NetworkNamespace(path: spec.sandbox))
            try inside.setUp(.name("lo"))
            try? inside.disableIPv6AddressGeneration(.name(peer))
            try inside.addAddress(spec.address, to: .name(peer))
            try inside.setUp(.name(peer))
            if let gw = spec.defaultGateway {
                try inside.addDefaultRoute(via: gw, oif: .name(peer))
            }
        } catch {
            try? connection.deleteLink(named: hostIf)
            throw error
        }
    }

    public func enableIPForwarding() throws {
        try inHost { try Sysctl.write("net.ipv4.ip_forward", "1") }
    }

    public func enableRouteLocalnet(bridge: String) throws {
        try inHost {
            try Sysctl.write(atPath: Sysctl.path(components: ["net", "ipv4", "conf", bridge, "route_localnet"]), "1")
        }
    }

    /// Runs `body` in the host namespace: directly when that is ours, else on a dedicated thread.
    func inHost(_ body: () throws -> Void) throws { try host.runHere(body) }
}
