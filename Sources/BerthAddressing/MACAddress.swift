import BerthCore

/// A 48-bit Ethernet address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses `02:42:ac:11:00:02` (colon or dash separated).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var b: [UInt8] = []
        for p in parts {
            guard p.count == 2, let v = UInt8(p, radix: 16) else { return nil }
            b.append(v)
        }
        bytes = b
    }

    /// Docker's derived MAC: `02:42` followed by the four bytes of the IPv4 address, so the
    /// address is locally administered, unicast, and stable for a given IP.
    public static func derived(from ip: IPv4Address) -> MACAddress {
        // Force-unwrap-free: the array always has 6 bytes.
        MACAddress(uncheckedBytes: [0x02, 0x42] + ip.bytes)
    }

    init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    public var isMulticast: Bool { bytes[0] & 1 == 1 }

    public var description: String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}
