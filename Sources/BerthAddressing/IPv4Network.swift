import BerthCore

/// An IPv4 prefix in CIDR notation (`172.18.0.0/16`). The stored address is always the network
/// address; `IPv4Interface` keeps a host address together with its prefix length.
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let network: IPv4Address
    public let prefixLength: Int

    /// A prefix; host bits of `address` are cleared.
    public init(_ address: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length out of range")
        self.prefixLength = prefixLength
        self.network = IPv4Address(address.value & IPv4Network.mask(prefixLength))
    }

    /// Parses `a.b.c.d/n`. With `strict`, host bits must be zero (as `docker network create --subnet` demands).
    public init?(_ text: some StringProtocol, strict: Bool = false) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let addr = IPv4Address(parts[0]), parts[1].allSatisfy(\.isNumber),
            parts[1].count <= 2, let n = Int(parts[1]), (0...32).contains(n)
        else { return nil }
        if strict && addr.value & ~IPv4Network.mask(n) != 0 { return nil }
        self.init(addr, prefixLength: n)
    }

    /// Parses user input, throwing a message that says what is wrong.
    public static func parse(_ text: String, what: String = "subnet") throws(BerthError) -> IPv4Network {
        guard let n = IPv4Network(text) else {
            if IPv6Network(text) != nil {
                throw .invalid("IPv6 \(what) \(text) is not supported yet; use an IPv4 CIDR such as 172.30.0.0/16")
            }
            throw .invalid("invalid \(what) \"\(text)\": expected an IPv4 CIDR such as 172.30.0.0/16")
        }
        if IPv4Network(text, strict: true) == nil {
            throw .invalid("invalid \(what) \(text): host bits are set; did you mean \(n)?")
        }
        return n
    }

    public static func mask(_ n: Int) -> UInt32 { n == 0 ? 0 : UInt32.max << UInt32(32 - n) }

    public var netmask: IPv4Address { IPv4Address(IPv4Network.mask(prefixLength)) }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~IPv4Network.mask(prefixLength)) }
    public var first: IPv4Address { network }
    public var last: IPv4Address { broadcast }
    /// Number of addresses in the prefix (2^(32-n)).
    public var size: UInt64 { 1 << UInt64(32 - prefixLength) }

    public func contains(_ a: IPv4Address) -> Bool {
        a.value & IPv4Network.mask(prefixLength) == network.value
    }

    /// Whether `other` lies entirely inside this prefix.
    public func contains(_ other: IPv4Network) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    /// Whether the two prefixes share any address.
    public func overlaps(_ other: IPv4Network) -> Bool { contains(other.network) || other.contains(network) }

    public var description: String { "\(network)/\(prefixLength)" }

    public static func < (l: Self, r: Self) -> Bool {
        (l.network, l.prefixLength) < (r.network, r.prefixLength)
    }
}

/// A host address with its prefix length (`172.18.0.2/16`), as assigned to an interface.
public struct IPv4Interface: Hashable, Sendable, CustomStringConvertible {
    public let address: IPv4Address
    public let prefixLength: Int

    public init(_ address: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length out of range")
        self.address = address
        self.prefixLength = prefixLength
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv4Address(parts[0]), let n = Int(parts[1]), (0...32).contains(n)
        else { return nil }
        self.init(a, prefixLength: n)
    }

    public var network: IPv4Network { IPv4Network(address, prefixLength: prefixLength) }
    public var description: String { "\(address)/\(prefixLength)" }
}

/// An IPv6 prefix (`fd00::/64`). berth parses and prints these; networks are IPv4 for now.
public struct IPv6Network: Hashable, Sendable, CustomStringConvertible {
    public let address: IPv6Address
    public let prefixLength: Int

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPv6Address(parts[0]), let n = Int(parts[1]), (0...128).contains(n)
        else { return nil }
        address = a
        prefixLength = n
    }

    public init(_ address: IPv6Address, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
