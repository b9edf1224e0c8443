import BerthAddressing
import BerthCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The networking part of the daemon's config file (`/etc/berth/daemon.json`), with Docker's key
/// names so an existing `/etc/docker/daemon.json` reads the same:
///
/// ```json
/// {"bip": "172.17.0.1/16",
///  "default-address-pools": [{"base": "172.80.0.0/16", "size": 24}],
///  "mtu": 1450,
///  "dns": ["1.1.1.1"]}
/// ```
///
/// Keys berth does not use are ignored and listed in `warnings` (a Docker file holds many).
public struct DaemonNetworkConfig: Sendable, Hashable, Codable {
    /// Where berthd reads the file unless told otherwise.
    public static let defaultPath = "/etc/berth/daemon.json"

    /// `bip`: the default bridge's own address and prefix; nil means the first free pool subnet's .1
    /// (172.17.0.1/16 with the default pools).
    public var bip: IPv4Interface?
    /// `default-address-pools`: where networks created without `--subnet` get their subnet, in order.
    public var defaultAddressPools: [AddressPool]
    /// `mtu`: the MTU of new networks; nil means the default-route interface's (see `effectiveMTU`).
    public var mtu: Int?
    /// `dns`: nameservers for containers, replacing the host's.
    public var dns: [IPAddress]
    /// One sentence per thing in the file that berth ignored (unknown keys).
    public var warnings: [String]

    /// A configuration; the defaults are those of a missing file.
    public init(
        bip: IPv4Interface? = nil, defaultAddressPools: [AddressPool] = AddressPool.dockerDefaults, mtu: Int? = nil,
        dns: [IPAddress] = [], warnings: [String] = []
    ) {
        self.bip = bip
        self.defaultAddressPools = defaultAddressPools
        self.mtu = mtu
        self.dns = dns
        self.warnings = warnings
    }

    /// Reads the file at `path`. A missing file (or one holding only whitespace) gives the defaults;
    /// malformed JSON or a bad value throws `.invalidArgument` naming the file and the problem.
    public static func load(path: String = defaultPath) throws(BerthError) -> DaemonNetworkConfig {
        guard FileManager.default.fileExists(atPath: path) else { return DaemonNetworkConfig() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw BerthError(.system, "cannot read the daemon config file \(path)", cause: error)
        }
        return try parse(data, source: path)
    }

    /// Parses the file's contents; `source` (the path) is named in every message.
    public static func parse(_ data: Data, source: String) throws(BerthError) -> DaemonNetworkConfig {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            return DaemonNetworkConfig()
        }
        let json: JSONValue
        do {
            json = try JSONReader.parse(data)
        } catch {
            throw .invalid("cannot parse \(source): \(error)")
        }
        return try DaemonNetworkConfig(json: json, source: source)
    }

    /// The default bridge's address and prefix: `bip`, or else the first subnet of the first pool with
    /// its first host address — 172.17.0.1/16 with Docker's pools. (The engine asks
    /// `SubnetAllocator.defaultBridgeAddressing` instead when it must also avoid host routes.)
    public func defaultBridgeSubnet() -> IPv4Interface {
        if let bip { return bip }
        let first =
            defaultAddressPools.first.map { IPv4Network($0.base.network, prefixLength: $0.size) }
            ?? IPv4Network(IPv4Address(172, 17, 0, 0), prefixLength: 16)
        return IPv4Interface(IPv4Address(first.network.value + 1), prefixLength: first.prefixLength)
    }

    /// The MTU new networks get: `mtu` when set, else the default-route interface's MTU (so containers
    /// never send packets the uplink must fragment), else Ethernet's 1500.
    public func effectiveMTU(defaultRouteMTU: Int?) -> Int { mtu ?? defaultRouteMTU ?? 1500 }

    // MARK: validation

    private init(json: JSONValue, source: String) throws(BerthError) {
        guard case .object(let top) = json else {
            throw .invalid("\(source) must hold a JSON object, such as {\"bip\": \"172.17.0.1/16\"}")
        }
        self.init()
        for key in top.keys.sorted() {
            guard let value = top[key] else { continue }
            // `"key": null` means "not set", as Docker treats it.
            if case .null = value { continue }
            switch key {
            case "bip": bip = try Self.parseBip(value, source: source)
            case "default-address-pools":
                defaultAddressPools = try Self.parsePools(value, source: source, warnings: &warnings)
            case "mtu": mtu = try Self.parseMTU(value, source: source)
            case "dns": dns = try Self.parseDNS(value, source: source)
            default: warnings.append("unknown key \"\(key)\" in \(source) is ignored")
            }
        }
    }

    private static func parseBip(_ value: JSONValue, source: String) throws(BerthError) -> IPv4Interface {
        guard case .string(let text) = value else {
            throw .invalid("bip in \(source) must be a string such as \"172.17.0.1/16\"")
        }
        guard let bip = IPv4Interface(text) else {
            throw .invalid(
                "bip \"\(text)\" in \(source) is not an IPv4 address with a prefix length, such as 172.17.0.1/16")
        }
        let net = bip.network
        guard bip.prefixLength <= 30 else {
            throw .invalid("bip \(bip) in \(source) leaves no room for containers; use a prefix of /30 or shorter")
        }
        let example = IPv4Interface(IPv4Address(net.network.value + 1), prefixLength: bip.prefixLength)
        if bip.address == net.network {
            throw .invalid(
                "bip \(bip) in \(source) is a network address; bip is the default bridge's own address, "
                    + "such as \(example)")
        }
        if bip.address == net.broadcast {
            throw .invalid(
                "bip \(bip) in \(source) is a broadcast address; bip is the default bridge's own address, "
                    + "such as \(example)")
        }
        return bip
    }

    private static func parsePools(_ value: JSONValue, source: String, warnings: inout [String]) throws(BerthError)
        -> [AddressPool]
    {
        let example = "[{\"base\": \"172.80.0.0/16\", \"size\": 24}]"
        guard case .array(let items) = value else {
            throw .invalid("default-address-pools in \(source) must be a list such as \(example)")
        }
        guard !items.isEmpty else {
            throw .invalid(
                "default-address-pools in \(source) is empty; list at least one pool, such as \(example), "
                    + "or remove the key to use the default pools")
        }
        var pools: [AddressPool] = []
        for (i, item) in items.enumerated() {
            let what = "default-address-pools[\(i)] in \(source)"
            guard case .object(let fields) = item else {
                throw .invalid("\(what) must be an object such as {\"base\": \"172.80.0.0/16\", \"size\": 24}")
            }
            guard case .string(let base)? = fields["base"] else {
                throw .invalid("\(what) needs \"base\", a CIDR string such as \"172.80.0.0/16\"")
            }
            guard case .integer(let size)? = fields["size"] else {
                throw .invalid("\(what) needs \"size\", a prefix length such as 24")
            }
            for key in fields.keys.sorted() where key != "base" && key != "size" {
                warnings.append("unknown key \"\(key)\" in \(what) is ignored")
            }
            do {
                pools.append(try AddressPool.parse(base: base, size: size))
            } catch {
                throw .invalid("\(what): \(error.message)")
            }
        }
        return pools
    }

    private static func parseMTU(_ value: JSONValue, source: String) throws(BerthError) -> Int {
        // 68 is the smallest MTU IPv4 allows (RFC 791); 65535 is the largest an IPv4 packet can be.
        guard case .integer(let mtu) = value, (68...65535).contains(mtu) else {
            throw .invalid("mtu in \(source) must be a whole number from 68 to 65535, such as 1500")
        }
        return mtu
    }

    private static func parseDNS(_ value: JSONValue, source: String) throws(BerthError) -> [IPAddress] {
        guard case .array(let items) = value else {
            throw .invalid("dns in \(source) must be a list of IP addresses, such as [\"1.1.1.1\"]")
        }
        var out: [IPAddress] = []
        for item in items {
            guard case .string(let text) = item else {
                throw .invalid("dns in \(source) must be a list of IP addresses, such as [\"1.1.1.1\"]")
            }
            guard let address = IPAddress(text) else {
                throw .invalid("dns entry \"\(text)\" in \(source) is not an IP address")
            }
            out.append(address)
        }
        return out
    }

    // MARK: Codable

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes the file format with the same validation as `parse` (errors are `BerthError`s).
    public init(from decoder: any Decoder) throws {
        let json = try decoder.singleValueContainer().decode(JSONValue.self)
        try self.init(json: json, source: "the daemon configuration")
    }

    /// Encodes the file format with Docker's key names (the warnings are not part of it).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encodeIfPresent(bip?.description, forKey: Key("bip"))
        try c.encode(defaultAddressPools, forKey: Key("default-address-pools"))
        try c.encodeIfPresent(mtu, forKey: Key("mtu"))
        if !dns.isEmpty { try c.encode(dns.map(\.description), forKey: Key("dns")) }
    }
}
