import BerthAddressing
import BerthCore

/// A network's IPv4 configuration (Docker's `IPAM.Config` entry): the subnet, the gateway (the
/// bridge's own address) and the optional `ip-range` that dynamic addresses come from.
///
/// A value always holds a valid configuration: the initializer checks that the gateway is a host
/// address of the subnet and that the range lies inside it, so the engine never builds a bridge
/// from a half-checked request.
public struct NetworkAddressing: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The network's prefix; the bridge route covers it.
    public let subnet: IPv4Network
    /// The bridge's address and the containers' default gateway.
    public let gateway: IPv4Address
    /// Where dynamic addresses come from; nil means the whole subnet. Static addresses (`--ip`) may
    /// lie anywhere in the subnet, as in Docker.
    public let ipRange: IPv4Network?

    /// Checks and builds a configuration. `gateway` defaults to the subnet's first host address (.1).
    public init(subnet: IPv4Network, gateway: IPv4Address? = nil, ipRange: IPv4Network? = nil) throws(BerthError) {
        // A /31 (RFC 3021 point-to-point) or /32 has no room for a gateway plus a container once the
        // network and broadcast addresses are set aside, so a bridge network cannot use it.
        guard subnet.prefixLength <= 30 else {
            throw .invalid(
                "subnet \(subnet) is too small: a network needs room for a gateway and at least one "
                    + "container; use a /30 or larger")
        }
        let gateway = gateway ?? IPv4Address(subnet.network.value + 1)
        guard subnet.contains(gateway) else {
            throw .invalid("gateway \(gateway) is outside subnet \(subnet)")
        }
        let firstHost = IPv4Address(subnet.network.value + 1)
        if gateway == subnet.network {
            throw .invalid(
                "gateway \(gateway) is the network address of subnet \(subnet); use a host address such as \(firstHost)"
            )
        }
        if gateway == subnet.broadcast {
            throw .invalid(
                "gateway \(gateway) is the broadcast address of subnet \(subnet); "
                    + "use a host address such as \(firstHost)")
        }
        if let ipRange {
            guard subnet.contains(ipRange) else {
                throw .invalid("ip-range \(ipRange) is not inside subnet \(subnet)")
            }
        }
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        if dynamicCapacity == 0, let ipRange {
            throw .invalid(
                "ip-range \(ipRange) holds no address a container can get (only the gateway or the subnet's "
                    + "network/broadcast address); use a larger range")
        }
    }

    /// Parses user text (`--subnet`, `--gateway`, `--ip-range`), naming the flag that is wrong.
    public static func parse(subnet: String, gateway: String? = nil, ipRange: String? = nil) throws(BerthError)
        -> NetworkAddressing
    {
        let net = try IPv4Network.parse(subnet, what: "subnet")
        var gw: IPv4Address?
        if let gateway {
            guard let g = IPv4Address(gateway) else {
                let example = IPv4Address(net.network.value + 1)
                throw .invalid("invalid gateway \"\(gateway)\": expected an IPv4 address such as \(example)")
            }
            gw = g
        }
        let range = try ipRange.map { text throws(BerthError) in try IPv4Network.parse(text, what: "ip-range") }
        return try NetworkAddressing(subnet: net, gateway: gw, ipRange: range)
    }

    /// The gateway with the subnet's prefix length: the address the bridge gets (`172.18.0.1/16`).
    public var gatewayInterface: IPv4Interface { IPv4Interface(gateway, prefixLength: subnet.prefixLength) }

    /// The prefix dynamic addresses come from.
    public var dynamicRange: IPv4Network { ipRange ?? subnet }

    /// Whether `address` may never be handed to a container: the subnet's network and broadcast
    /// addresses and the gateway.
    public func isReserved(_ address: IPv4Address) -> Bool {
        address == subnet.network || address == subnet.broadcast || address == gateway
    }

    /// How many addresses dynamic allocation can hand out in total.
    public var dynamicCapacity: UInt64 {
        let range = dynamicRange
        let reservedInside = [subnet.network, subnet.broadcast, gateway].filter { range.contains($0) }.count
        return range.size - UInt64(reservedInside)
    }

    /// `172.18.0.0/16 via 172.18.0.1` (plus the range when set).
    public var description: String {
        if let ipRange { return "\(subnet) via \(gateway) (range \(ipRange))" }
        return "\(subnet) via \(gateway)"
    }

    private enum CodingKeys: String, CodingKey {
        // Docker's IPAM.Config field names, so the value can be shown as-is in `network inspect`.
        case subnet = "Subnet"
        case gateway = "Gateway"
        case ipRange = "IPRange"
    }

    /// Decodes Docker's `{"Subnet": …, "Gateway": …, "IPRange": …}`, validating like `init`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try NetworkAddressing.parse(
            subnet: c.decode(String.self, forKey: .subnet),
            gateway: c.decodeIfPresent(String.self, forKey: .gateway),
            ipRange: c.decodeIfPresent(String.self, forKey: .ipRange))
    }

    /// Encodes Docker's `{"Subnet": …, "Gateway": …, "IPRange": …}` (IPRange only when set).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subnet.description, forKey: .subnet)
        try c.encode(gateway.description, forKey: .gateway)
        try c.encodeIfPresent(ipRange?.description, forKey: .ipRange)
    }
}
