// `Codable` and plain Swift values (`Any`) for JSONValue: berthd and the CLI only. berth-monitor
// (Embedded Swift: no existentials, no Codable) shares JSONValue.swift alone, see Package.swift.

extension JSONValue: Codable {
    /// Decodes from any `Decoder` (used by `DaemonNetworkConfig`'s `Decodable` conformance).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The JSON null, as a plain value (see `plain`).
    public struct Null: Sendable {
        public init() {}
    }

    /// As plain Swift values: [String: Any], [Any], String, Int, Double, Bool, `Null`.
    public var plain: Any {
        switch self {
        case .null: Null()
        case .bool(let b): b
        case .integer(let i): i
        case .number(let n): n
        case .string(let s): s
        case .array(let a): a.map(\.plain)
        case .object(let o): o.mapValues(\.plain)
        }
    }

    /// The inverse of `plain`.
    public init(plain v: Any) {
        switch v {
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .integer(i)
        case let n as Double: self = .number(n)
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map(JSONValue.init(plain:)))
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init(plain:)))
        default: self = .null
        }
    }
}
