import BerthAddressing
import BerthCore

/// One entry of Docker's `default-address-pools`: a `base` prefix carved into subnets of prefix
/// length `size`, handed to networks created without `--subnet` (`{"base":"10.10.0.0/16","size":24}`
/// yields 10.10.0.0/24, 10.10.1.0/24, …).
public struct AddressPool: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The prefix the subnets are carved from.
    public let base: IPv4Network
    /// Prefix length of every subnet taken from `base`.
    public let size: Int

    /// A validated pool: `size` must be at least `base`'s prefix length (a subnet cannot be larger
    /// than the pool) and at most 30 (a /31 or /32 leaves no room for a gateway and a container).
    public init(base: IPv4Network, size: Int) throws(BerthError) {
        guard size >= base.prefixLength else {
            throw .invalid(
                "address pool \(base) cannot be split into /\(size) subnets: size must be at least "
                    + "the base's prefix length (\(base.prefixLength))")
        }
        guard size <= 30 else {
            throw .invalid(
                "address pool \(base) with size \(size) leaves no room for a gateway and containers; "
                    + "use a size of 30 or less")
        }
        self.init(unchecked: base, size: size)
    }

    /// For the built-in pools, which are valid by construction.
    init(unchecked base: IPv4Network, size: Int) {
        self.base = base
        self.size = size
    }

    /// Parses a pool from daemon.json-style text, naming what is wrong.
    public static func parse(base: String, size: Int) throws(BerthError) -> AddressPool {
        try AddressPool(base: IPv4Network.parse(base, what: "address pool base"), size: size)
    }

    /// How many subnets the pool holds.
    public var subnetCount: UInt64 { 1 << UInt64(size - base.prefixLength) }

    /// The pool's subnets in ascending order (lazily: a /8 split into /30s has four million).
    public var subnets: some Sequence<IPv4Network> {
        let step = UInt64(1) << UInt64(32 - size)
        let start = UInt64(base.network.value)
        let size = self.size
        return (0..<subnetCount).lazy.map { i in
            IPv4Network(IPv4Address(UInt32(truncatingIfNeeded: start + i * step)), prefixLength: size)
        }
    }

    /// `172.18.0.0/15 in /16s`.
    public var description: String { "\(base) in /\(size)s" }

    /// Docker's built-in local pools, in Docker's order: /16s from 172.17.0.0 to 172.31.0.0, then /20s
    /// of 192.168.0.0/16. 172.16.0.0/16 is not used, exactly like Docker (it is commonly taken by
    /// corporate networks). The default bridge takes the first of these, so user networks start at
    /// 172.18.0.0/16.
    public static let dockerDefaults: [AddressPool] = [
        AddressPool(unchecked: IPv4Network(IPv4Address(172, 17, 0, 0), prefixLength: 16), size: 16),
        AddressPool(unchecked: IPv4Network(IPv4Address(172, 18, 0, 0), prefixLength: 15), size: 16),
        AddressPool(unchecked: IPv4Network(IPv4Address(172, 20, 0, 0), prefixLength: 14), size: 16),
        AddressPool(unchecked: IPv4Network(IPv4Address(172, 24, 0, 0), prefixLength: 13), size: 16),
        AddressPool(unchecked: IPv4Network(IPv4Address(192, 168, 0, 0), prefixLength: 16), size: 20),
    ]

    private enum CodingKeys: String, CodingKey {
        case base, size
    }

    /// Decodes Docker's `{"base": "…", "size": n}`; an invalid pool throws the `BerthError` explaining why.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self = try AddressPool.parse(
            base: c.decode(String.self, forKey: .base), size: c.decode(Int.self, forKey: .size))
    }

    /// Encodes Docker's `{"base": "…", "size": n}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(base.description, forKey: .base)
        try c.encode(size, forKey: .size)
    }
}
