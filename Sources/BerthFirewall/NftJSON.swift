/// Just enough JSON to read `nft -j` listings (berth keeps Foundation out of its kernel modules).
///
/// `nft -j list …` prints `{"nftables": [{"metainfo": …}, {"chain": {…}}, {"rule": {…}}, …]}`; berth
/// reads chain policies, rule handles, comments and counters from it (libnftables-json(5)).
enum JSONValue: Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// The number's text as written (exact for 64-bit counters, which a Double would round).
    case number(String)
    case bool(Bool)
    case null

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var uint64: UInt64? {
        if case .number(let text) = self { UInt64(text) } else { nil }
    }

    struct ParseError: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    static func parse(_ text: String) throws(ParseError) -> JSONValue {
        var p = Parser(bytes: Array(text.utf8))
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.bytes.count else { throw ParseError(offset: p.i, reason: "trailing characters") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        var depth = 0

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 {
                i += 1
            }
        }

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func expect(_ literal: String) throws(ParseError) {
            for b in literal.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw fail("expected \(literal)") }
                i += 1
            }
        }

        mutating func value() throws(ParseError) -> JSONValue {
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                depth += 1
                defer { depth -= 1 }
                guard depth < 128 else { throw fail("nested too deeply") }
                i += 1
                var o: [String: JSONValue] = [:]
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(o)
                }
                while true {
                    skipSpace()
                    let k = try string()
                    skipSpace()
                    try expect(":")
                    o[k] = try value()
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                    } else if bytes[i] == UInt8(ascii: "}") {
                        i += 1
                        return .object(o)
                    } else {
                        throw fail("expected , or }")
                    }
                }
            case UInt8(ascii: "["):
                depth += 1
                defer { depth -= 1 }
                guard depth < 128 else { throw fail("nested too deeply") }
                i += 1
                var a: [JSONValue] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(a)
                }
                while true {
                    a.append(try value())
                    skipSpace()
                    guard i < bytes.count else { throw fail("unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") {
                        i += 1
                    } else if bytes[i] == UInt8(ascii: "]") {
                        i += 1
                        return .array(a)
                    } else {
                        throw fail("expected , or ]")
                    }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                return try number()
            }
        }

        mutating func number() throws(ParseError) -> JSONValue {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            guard i > start, Double(text) != nil else { throw fail("expected a value") }
            return .number(text)
        }

        mutating func string() throws(ParseError) -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        // A UTF-16 surrogate pair encodes one scalar above U+FFFF.
                        if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                            bytes[i + 1] == UInt8(ascii: "u")
                        {
                            i += 2
                            let low = try hex4()
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                        }
                        out += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                    default: out.append(e)  // \" \\ \/
                    }
                default:
                    out.append(b)
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16)
            else { throw fail("bad \\u escape") }
            i += 4
            return v
        }
    }
}

/// The parts of an `nft -j list …` answer berth reads.
struct NftListing {
    /// One base or regular chain.
    struct Chain {
        let table: String
        let name: String
        let policy: String?
    }

    /// One rule with what identifies its owner and what it has counted.
    struct Rule {
        let table: String
        let chain: String
        let handle: UInt64
        let comment: String?
        let packets: UInt64?
        let bytes: UInt64?
    }

    var chains: [Chain] = []
    var rules: [Rule] = []

    init(json text: String) throws(JSONValue.ParseError) {
        let root = try JSONValue.parse(text)
        for item in root["nftables"]?.array ?? [] {
            if let c = item["chain"] {
                chains.append(
                    Chain(table: c["table"]?.string ?? "", name: c["name"]?.string ?? "", policy: c["policy"]?.string))
            } else if let r = item["rule"], let handle = r["handle"]?.uint64 {
                // A rule's counter is one of its statements: {"counter": {"packets": N, "bytes": M}}.
                let counter = r["expr"]?.array?.lazy.compactMap { $0["counter"] }.first
                rules.append(
                    Rule(
                        table: r["table"]?.string ?? "", chain: r["chain"]?.string ?? "", handle: handle,
                        comment: r["comment"]?.string, packets: counter?["packets"]?.uint64,
                        bytes: counter?["bytes"]?.uint64))
            }
        }
    }
}
