import BerthAddressing
import BerthCore
import BerthStore

/// A network's IPv4 addressing as the engine uses it.
struct NetworkAddressingPlan: Sendable {
    var subnet: IPv4Network
    var gateway: IPv4Address
    var ipRange: IPv4Network?
}

// TEMPORARY: replaced by BerthIPAM once that module lands (same session).
extension NetworkEngine {
    func addressingPlan(of n: NetworkRecord) throws -> NetworkAddressingPlan {
        guard let s = n.subnet, let subnet = IPv4Network(s), let g = n.gateway, let gw = IPv4Address(g) else {
            throw BerthError(.internalError, "network \(n.name) has no IPv4 configuration")
        }
        return NetworkAddressingPlan(subnet: subnet, gateway: gw, ipRange: n.ipRange.flatMap { IPv4Network($0) })
    }

    func chooseAddressing(spec: NetworkCreateSpec, existing: [NetworkRecord]) throws -> NetworkAddressingPlan {
        throw BerthError(.notImplemented, "IPAM pending")
    }

    func defaultBridgeAddressing(existing: [NetworkRecord]) throws -> NetworkAddressingPlan {
        throw BerthError(.notImplemented, "IPAM pending")
    }

    func allocateAddress(network: NetworkRecord, plan: NetworkAddressingPlan, specific: IPv4Address?, owner: String)
        throws -> IPv4Address
    {
        throw BerthError(.notImplemented, "IPAM pending")
    }
}
