import BerthAddressing
import BerthCore

/// Why a DNS packet could not be read or written. Readers answer FORMERR or drop; never crash.
public enum DNSWireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(String)
    case badPointer(String)
    case invalidName(String)
    case tooLarge

    public var description: String {
        switch self {
        case .truncated(let w): "truncated DNS message: \(w)"
        case .badPointer(let w): "bad compression pointer: \(w)"
        case .invalidName(let w): "invalid DNS name: \(w)"
        case .tooLarge: "DNS message larger than 65535 bytes"
        }
    }
}

/// Record types berth reads and writes (RFC 1035 §3.2.2, RFC 3596, RFC 6891); others pass as raw data.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let a = DNSType(rawValue: 1)
    public static let ns = DNSType(rawValue: 2)
    public static let cname = DNSType(rawValue: 5)
    public static let soa = DNSType(rawValue: 6)
    public static let ptr = DNSType(rawValue: 12)
    public static let mx = DNSType(rawValue: 15)
    public static let txt = DNSType(rawValue: 16)
    public static let aaaa = DNSType(rawValue: 28)
    public static let srv = DNSType(rawValue: 33)
    public static let opt = DNSType(rawValue: 41)
    public static let any = DNSType(rawValue: 255)

    public var description: String {
        [1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 41: "OPT", 255: "ANY"][
            rawValue] ?? "TYPE\(rawValue)"
    }
}

/// Response codes (RFC 1035 §4.1.1).
public enum DNSRCode: UInt8, Sendable {
    case noError = 0, formatError = 1, serverFailure = 2, nameError = 3, notImplemented = 4, refused = 5
}

/// The fixed 12-byte header (RFC 1035 §4.1.1), counts excluded: the encoder derives them.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    public var rcode: UInt8

    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, authoritative: Bool = false, truncated: Bool = false,
        recursionDesired: Bool = true, recursionAvailable: Bool = false, rcode: UInt8 = 0
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.rcode = rcode
    }

    var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode & 0xf) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        f |= UInt16(rcode & 0xf)
        return f
    }

    init(id: UInt16, flags f: UInt16) {
        self.init(
            id: id, isResponse: f & 0x8000 != 0, opcode: UInt8(f >> 11 & 0xf), authoritative: f & 0x0400 != 0,
            truncated: f & 0x0200 != 0, recursionDesired: f & 0x0100 != 0, recursionAvailable: f & 0x0080 != 0,
            rcode: UInt8(f & 0xf))
    }
}

/// One question.
public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var dnsClass: UInt16

    public init(name: DNSName, type: DNSType, dnsClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
    }
}

/// Record data berth understands; anything else is kept as bytes.
public enum DNSRecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case ptr(DNSName)
    case cname(DNSName)
    case raw([UInt8])
}

/// A resource record. For OPT (EDNS0, RFC 6891) `dnsClass` is the requester's UDP payload size.
public struct DNSRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var dnsClass: UInt16
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, type: DNSType, dnsClass: UInt16 = 1, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
        self.ttl = ttl
        self.data = data
    }

    /// An EDNS0 OPT pseudo-record advertising `payloadSize`.
    public static func opt(payloadSize: UInt16) -> DNSRecord {
        DNSRecord(name: .root, type: .opt, dnsClass: payloadSize, ttl: 0, data: .raw([]))
    }
}

/// A whole DNS message.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    public var additional: [DNSRecord]

    public init(
        header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSRecord] = [], authority: [DNSRecord] = [],
        additional: [DNSRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// The EDNS0 UDP payload size the sender advertised (512 without OPT, RFC 6891 §6.2.5: at least 512).
    public var udpPayloadSize: Int {
        guard let opt = additional.first(where: { $0.type == .opt }) else { return 512 }
        return max(512, Int(opt.dnsClass))
    }

    /// A reply to `query`: same id, question and RD bit; RA set (berth forwards).
    public static func response(to query: DNSMessage, rcode: DNSRCode, answers: [DNSRecord] = [], authoritative: Bool = false)
        -> DNSMessage
    {
        var h = query.header
        h.isResponse = true
        h.recursionAvailable = true
        h.authoritative = authoritative
        h.truncated = false
        h.rcode = rcode.rawValue
        var r = DNSMessage(header: h, questions: query.questions, answers: answers)
        if query.additional.contains(where: { $0.type == .opt }) { r.additional = [.opt(payloadSize: 1232)] }
        return r
    }
}
