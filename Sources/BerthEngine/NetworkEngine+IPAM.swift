import BerthAddressing
import BerthCore
import BerthIPAM
import BerthStore

/// berth's database is the allocator's memory: allocations and the release log live in SQLite,
/// so every address decision is made and recorded in one transaction.
extension Transaction: AddressStore {
    public func addressAllocations(network: String) throws -> [IPv4Address: String] {
        var out: [IPv4Address: String] = [:]
        for a in try allocations(network: network) {
            if let ip = IPv4Address(a.address) { out[ip] = a.owner }
        }
        return out
    }

    public func addressReleases(network: String) throws -> [IPv4Address: Int64] {
        var out: [IPv4Address: Int64] = [:]
        for r in try releases(network: network) {
            if let ip = IPv4Address(r.address) { out[ip] = r.sequence }
        }
        return out
    }

    public func insertAddressAllocation(_ address: IPv4Address, network: String, owner: String) throws {
        try insert(AddressAllocationRecord(networkId: network, address: address.description, owner: owner))
    }

    public func releaseAddressAllocation(_ address: IPv4Address, network: String) throws -> Bool {
        guard try deleteAllocation(network: network, address: address.description) else { return false }
        try recordRelease(network: network, address: address.description)
        return true
    }
}

extension NetworkEngine {
    /// The recorded addressing of a bridge network.
    func addressingPlan(of n: NetworkRecord) throws -> NetworkAddressing {
        guard let s = n.subnet else {
            throw BerthError(.internalError, "network \(n.name) has no IPv4 configuration")
        }
        return try NetworkAddressing.parse(subnet: s, gateway: n.gateway, ipRange: n.ipRange)
    }

    func existingSubnets(_ nets: [NetworkRecord]) -> [ExistingSubnet] {
        nets.compactMap { n in n.subnet.flatMap { IPv4Network($0) }.map { ExistingSubnet(name: n.name, subnet: $0) } }
    }

    /// Routes on the host other than berth's networks' own (those are covered by the networks themselves).
    func foreignHostRoutes(_ nets: [NetworkRecord]) throws -> [HostRoute] {
        // A network's own connected route (its subnet on its bridge) is not a foreign route.
        let own = Set(nets.compactMap { n in n.bridge.flatMap { b in n.subnet.map { "\(b) \($0)" } } })
        return try kernel.hostRoutes().filter { r in !own.contains("\(r.interface ?? "") \(r.destination)") }
    }

    func chooseAddressing(spec: NetworkCreateSpec, existing: [NetworkRecord]) throws -> NetworkAddressing {
        try SubnetAllocator().chooseAddressing(
            subnet: spec.subnet, gateway: spec.gateway, ipRange: spec.ipRange, pools: config.pools,
            inUse: existingSubnets(existing), hostRoutes: foreignHostRoutes(existing))
    }

    func defaultBridgeAddressing(existing: [NetworkRecord]) throws -> NetworkAddressing {
        try SubnetAllocator().defaultBridgeAddressing(
            bip: config.bip, pools: config.pools, inUse: existingSubnets(existing),
            hostRoutes: foreignHostRoutes(existing))
    }

    /// Takes an address for `owner` (a specific one for `--ip`) and records it, in one transaction.
    func allocateAddress(network: NetworkRecord, plan: NetworkAddressing, specific: IPv4Address?, owner: String)
        throws -> IPv4Address
    {
        let allocator = AddressAllocator(networkID: network.id, networkName: network.name, addressing: plan)
        return try store.write { tx in
            if let specific {
                try allocator.allocate(specific: specific, owner: owner, store: tx)
                return specific
            }
            return try allocator.allocate(owner: owner, store: tx)
        }
    }
}
