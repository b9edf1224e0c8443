import BerthAddressing

/// A name berth answers for: one endpoint of one container on one network, under every name it
/// goes by there (container name, network aliases, short id, hostname).
public struct DNSEndpointRecord: Hashable, Sendable {
    public var network: String
    public var names: [DNSName]
    public var address: IPv4Address

    public init(network: String, names: [DNSName], address: IPv4Address) {
        self.network = network
        self.names = names
        self.address = address
    }
}

/// What one asking container may see: only records of networks it is on (a container never resolves a
/// name that lives only on a network it is not on), plus the host's gateway address on its networks.
public struct DNSView: Sendable {
    public var askerNetworks: [String] { didSet { index = DNSView.index(askerNetworks, records, gateways) } }
    public var records: [DNSEndpointRecord] { didSet { index = DNSView.index(askerNetworks, records, gateways) } }
    /// network → its gateway, for `host-gateway` / `host.docker.internal`.
    public var gateways: [String: IPv4Address] { didSet { index = DNSView.index(askerNetworks, records, gateways) } }
    /// TTL of berth's own answers: short, so a recreated container's new address is seen at once
    /// (Docker's fixed 600 s keeps stale addresses in clients' caches).
    public var ttl: UInt32
    /// The asker's own upstream resolvers (`--dns` on a user-defined network); empty: the daemon's.
    public var upstreams: [IPv4Address]

    public init(
        askerNetworks: [String], records: [DNSEndpointRecord], gateways: [String: IPv4Address] = [:], ttl: UInt32 = 5,
        upstreams: [IPv4Address] = []
    ) {
        self.askerNetworks = askerNetworks
        self.records = records
        self.gateways = gateways
        self.ttl = ttl
        self.upstreams = upstreams
        index = DNSView.index(askerNetworks, records, gateways)
    }

    /// The A answers of every name `DNSAnswerer.decide` would answer for, keyed by `DNSAnswerer.quickKey`,
    /// built once per view (views are cached and asked many times) so `DNSAnswerer.quickReply` needs
    /// one hash lookup instead of comparing the query's name with every record's names.
    private(set) var index: [String: [IPv4Address]] = [:]

    static func index(_ networks: [String], _ records: [DNSEndpointRecord], _ gateways: [String: IPv4Address])
        -> [String: [IPv4Address]]
    {
        var index: [String: [IPv4Address]] = [:]
        // Same order and deduplication as `decide`: records in view order, each address once.
        for r in records where networks.contains(r.network) {
            for name in r.names {
                guard let key = DNSAnswerer.quickKey(name) else { continue }
                if index[key]?.contains(r.address) != true { index[key, default: []].append(r.address) }
            }
        }
        // The host's names win over records of the same name, as in `decide`.
        if let net = networks.first(where: { gateways[$0] != nil }), let gateway = gateways[net] {
            for name in DNSAnswerer.hostNames { if let key = DNSAnswerer.quickKey(name) { index[key] = [gateway] } }
        }
        return index
    }
}

/// What to do with a query.
public enum DNSDecision: Equatable, Sendable {
    /// berth answers itself.
    case reply(DNSMessage)
    /// Not a name berth owns: send it to the upstream resolvers.
    case forward
}

/// The first link of the resolver chain (container records → upstream), as pure logic: the server
/// decodes a packet, asks this, and either sends the reply or forwards the query.
public enum DNSAnswerer {
    /// Names that mean "the host", answered with the gateway of the asker's first network.
    public static let hostNames: [DNSName] = [
        DNSName(uncheckedLabels: ["host-gateway"]), DNSName(uncheckedLabels: ["host", "docker", "internal"]),
        DNSName(uncheckedLabels: ["host", "berth", "internal"]),
    ]

    public static func decide(_ query: DNSMessage, view: DNSView) -> DNSDecision {
        guard !query.header.isResponse else { return .reply(.response(to: query, rcode: .formatError)) }
        guard query.header.opcode == 0 else { return .reply(.response(to: query, rcode: .notImplemented)) }
        guard query.questions.count == 1, let q = query.questions.first else {
            return .reply(.response(to: query, rcode: .formatError))
        }
        let visible = view.records.filter { view.askerNetworks.contains($0.network) }

        if q.type == .ptr, let address = reverseAddress(q.name) {
            let owners = visible.filter { $0.address == address }
            guard let first = owners.first, let name = first.names.first else { return .forward }
            return .reply(
                .response(
                    to: query, rcode: .noError,
                    answers: [DNSRecord(name: q.name, type: .ptr, ttl: view.ttl, data: .ptr(name))], authoritative: true
                ))
        }

        var addresses: [IPv4Address] = []
        if hostNames.contains(q.name), let net = view.askerNetworks.first(where: { view.gateways[$0] != nil }),
            let gw = view.gateways[net]
        {
            addresses = [gw]
        } else {
            for r in visible where r.names.contains(q.name) && !addresses.contains(r.address) {
                addresses.append(r.address)
            }
        }
        guard !addresses.isEmpty else { return .forward }
        // The name is ours: A gets the addresses; other types get an empty NOERROR (the name exists).
        let answers =
            (q.type == .a || q.type == .any)
            ? addresses.map { DNSRecord(name: q.name, type: .a, ttl: view.ttl, data: .a($0)) } : []
        return .reply(.response(to: query, rcode: .noError, answers: answers, authoritative: true))
    }

    /// `2.0.18.172.in-addr.arpa.` → 172.18.0.2.
    static func reverseAddress(_ name: DNSName) -> IPv4Address? {
        let c = name.canonical
        guard c.count == 6, c[4] == "in-addr", c[5] == "arpa" else { return nil }
        let octets = c[0..<4].compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return IPv4Address(bytes: octets.reversed())
    }
}
