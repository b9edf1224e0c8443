import BerthCore

/// A domain name as a list of labels (RFC 1035 §3.1). Comparison ignores ASCII case (RFC 4343):
/// `DB` and `db` are the same name, and answers keep the case the asker used.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    public let labels: [String]

    /// Longest label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63
    /// Longest name in wire form, length octets included (RFC 1035 §2.3.4).
    public static let maxWireLength = 255

    public static let root = DNSName(uncheckedLabels: [])

    init(uncheckedLabels: [String]) { labels = uncheckedLabels }

    /// Parses `db`, `db.mynet.`, `2.0.18.172.in-addr.arpa`; a trailing dot is optional.
    public init(_ text: String) throws(DNSWireError) {
        if text == "." || text.isEmpty {
            labels = []
            return
        }
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        for p in parts {
            guard !p.isEmpty else { throw .invalidName("empty label in \"\(text)\"") }
            guard p.utf8.count <= DNSName.maxLabelLength else {
                throw .invalidName("label \"\(p.prefix(20))…\" is longer than 63 bytes")
            }
        }
        let name = DNSName(uncheckedLabels: parts)
        guard name.wireLength <= DNSName.maxWireLength else { throw .invalidName("name is longer than 255 bytes") }
        self = name
    }

    /// Length in wire form: one length octet per label, the label bytes, and the root's zero.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.utf8.count } }

    /// Lower-cased labels: the key for lookups and compression.
    public var canonical: [String] { labels.map { $0.lowercased() } }

    public var description: String { labels.isEmpty ? "." : labels.joined(separator: ".") + "." }

    public static func == (l: DNSName, r: DNSName) -> Bool { l.canonical == r.canonical }
    public func hash(into h: inout Hasher) { h.combine(canonical) }

    /// The `in-addr.arpa` name for reverse lookups of `address` (RFC 1035 §3.5).
    public static func reverse(_ bytes: [UInt8]) -> DNSName {
        DNSName(uncheckedLabels: bytes.reversed().map { String($0) } + ["in-addr", "arpa"])
    }
}
