import BerthAddressing
import BerthCore

/// The subnet of a network berth already has, named so an overlap error can say which one.
public struct ExistingSubnet: Sendable, Hashable {
    /// The network's name as the user knows it (`mynet`).
    public var name: String
    /// Its IPv4 subnet.
    public var subnet: IPv4Network

    /// A named subnet.
    public init(name: String, subnet: IPv4Network) {
        self.name = name
        self.subnet = subnet
    }
}

/// A route in the host's routing table (`ip -4 route show`), as far as subnet choice cares.
///
/// The engine passes the main table's IPv4 routes. Routes of berth's own bridges may be among them:
/// they duplicate `inUse`, which is checked first, so errors still name the berth network.
public struct HostRoute: Sendable, Hashable {
    /// The destination prefix (`192.168.1.0/24`; `0.0.0.0/0` for a default route).
    public var destination: IPv4Network
    /// The output interface (`eth0`), when known; named in overlap errors.
    public var interface: String?

    /// A route and the interface it leaves through.
    public init(destination: IPv4Network, interface: String? = nil) {
        self.destination = destination
        self.interface = interface
    }

    /// Whether this is a default route. A default route covers every address, so it never blocks a
    /// subnet: a more specific bridge route beside it is exactly how container traffic stays local.
    /// Every other route blocks what it overlaps, host routes (/32) included: a /32 to, say, a VPN
    /// peer would win over the bridge route and make that container address unreachable.
    public var isDefault: Bool { destination.prefixLength == 0 }

    /// `192.168.1.0/24 on eth0`.
    var phrase: String {
        if let interface { return "the host route \(destination) on \(interface)" }
        return "the host route \(destination)"
    }
}

/// Chooses subnets for new networks: the first pool subnet free of other berth networks and of
/// host routes, or a user's `--subnet` after checking it clashes with neither.
public struct SubnetAllocator: Sendable {
    /// A stateless chooser; everything it needs is passed to each call.
    public init() {}

    /// The first subnet, in pool order and ascending within each pool, that overlaps neither a berth
    /// network in `inUse` nor a non-default route in `hostRoutes` (see `HostRoute.isDefault`).
    ///
    /// Cost grows with the number of blockers, not the pool size: after a candidate collides, the
    /// search jumps past the end of whatever it collided with.
    public func pickSubnet(pools: [AddressPool], inUse: [ExistingSubnet], hostRoutes: [HostRoute]) throws(BerthError)
        -> IPv4Network
    {
        let blockers = inUse.map(\.subnet) + hostRoutes.filter { !$0.isDefault }.map(\.destination)
        for pool in pools {
            let step = UInt64(1) << UInt64(32 - pool.size)
            let end = UInt64(pool.base.broadcast.value) + 1
            var cursor = UInt64(pool.base.network.value)
            while cursor + step <= end {
                let candidate = IPv4Network(IPv4Address(UInt32(cursor)), prefixLength: pool.size)
                var pastBlockers: UInt64?
                for b in blockers where b.overlaps(candidate) {
                    pastBlockers = max(pastBlockers ?? 0, UInt64(b.broadcast.value) + 1)
                }
                guard let pastBlockers else { return candidate }
                // The next candidate starts at the first step boundary past every collider. The pool base
                // is aligned to at least `step`, so absolute alignment equals alignment within the pool.
                cursor = max(cursor + step, (pastBlockers + step - 1) / step * step)
            }
        }
        if pools.isEmpty {
            throw BerthError(
                .exhausted,
                "no address pools are configured, so berth cannot choose a subnet; pass --subnet, or add pools "
                    + "to default-address-pools in daemon.json")
        }
        throw BerthError(
            .exhausted,
            "no free subnet left in the address pools (\(pools.map(\.description).joined(separator: ", "))): "
                + "every candidate overlaps another berth network or a host route; remove unused networks with "
                + "`berth network prune`, pass --subnet, or add pools to default-address-pools in daemon.json")
    }

    /// Checks a user-chosen subnet (`--subnet`) against berth's networks and the host's routes, and
    /// throws `.conflict` naming the first thing it overlaps. Networks are checked before routes so
    /// that a clash with a berth network is reported by the network's name, not by its bridge route.
    public func validateUserSubnet(_ subnet: IPv4Network, inUse: [ExistingSubnet], hostRoutes: [HostRoute])
        throws(BerthError)
    {
        if let other = inUse.first(where: { $0.subnet.overlaps(subnet) }) {
            throw .conflict(
                "subnet \(subnet) overlaps network \"\(other.name)\" (\(other.subnet)); choose another subnet")
        }
        if let route = hostRoutes.first(where: { !$0.isDefault && $0.destination.overlaps(subnet) }) {
            throw .conflict(
                "subnet \(subnet) overlaps \(route.phrase); choose another subnet so the host can still reach "
                    + "what that route leads to")
        }
    }

    /// The whole `network create` decision: a user's `--subnet`/`--gateway`/`--ip-range` checked and
    /// combined, or (with no `--subnet`) the next free pool subnet with its first host as gateway.
    public func chooseAddressing(
        subnet: String?, gateway: String?, ipRange: String?, pools: [AddressPool], inUse: [ExistingSubnet],
        hostRoutes: [HostRoute]
    ) throws(BerthError) -> NetworkAddressing {
        guard let subnet else {
            if gateway != nil || ipRange != nil {
                let flag = gateway != nil ? "--gateway" : "--ip-range"
                throw .invalid("\(flag) needs --subnet: give the subnet it belongs to")
            }
            return try NetworkAddressing(subnet: pickSubnet(pools: pools, inUse: inUse, hostRoutes: hostRoutes))
        }
        let addressing = try NetworkAddressing.parse(subnet: subnet, gateway: gateway, ipRange: ipRange)
        try validateUserSubnet(addressing.subnet, inUse: inUse, hostRoutes: hostRoutes)
        return addressing
    }

    /// The default `bridge` network's addressing. With `bip` set (daemon.json), that address and
    /// prefix, trusted like Docker does except that it must not overlap another berth network; without
    /// it, the first free pool subnet, which with Docker's pools is 172.17.0.0/16 via 172.17.0.1.
    public func defaultBridgeAddressing(
        bip: IPv4Interface?, pools: [AddressPool], inUse: [ExistingSubnet], hostRoutes: [HostRoute]
    ) throws(BerthError) -> NetworkAddressing {
        guard let bip else {
            return try NetworkAddressing(subnet: pickSubnet(pools: pools, inUse: inUse, hostRoutes: hostRoutes))
        }
        let addressing = try NetworkAddressing(subnet: bip.network, gateway: bip.address)
        if let other = inUse.first(where: { $0.subnet.overlaps(addressing.subnet) }) {
            throw .conflict(
                "bip \(bip) overlaps network \"\(other.name)\" (\(other.subnet)); change bip in daemon.json "
                    + "or remove that network")
        }
        return addressing
    }
}
