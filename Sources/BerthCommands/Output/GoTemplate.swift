import BerthCore
import Foundation

/// The subset of Go's text/template that `docker … --format` users rely on, evaluated over a value's
/// JSON form: `{{.Field.Sub}}`, `{{.}}`, `{{json .X}}`, `{{range .X}}…{{end}}` (over arrays and maps),
/// `{{join .X ","}}`, `{{printf "%s" .X}}`-free text, and `table` prefixes handled by the caller.
public struct GoTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case value([String], json: Bool)
        case join([String], String)
        case range([String], [Node])
    }

    let nodes: [Node]

    /// Parses `text`; a malformed template is a clear error naming the problem.
    public init(_ text: String) throws(BerthError) {
        var tokens: [(isAction: Bool, text: String)] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            tokens.append((false, String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw .invalid("template: unclosed action in \"\(text)\"")
            }
            tokens.append((true, rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        tokens.append((false, String(rest)))
        var index = 0
        nodes = try GoTemplate.parse(tokens, &index, inRange: false, source: text)
    }

    static func path(_ s: String, source: String) throws(BerthError) -> [String] {
        guard s.hasPrefix(".") else { throw .invalid("template: expected a field such as .Name, got \"\(s)\" in \"\(source)\"") }
        return s == "." ? [] : s.dropFirst().split(separator: ".").map(String.init)
    }

    static func parse(_ tokens: [(isAction: Bool, text: String)], _ i: inout Int, inRange: Bool, source: String) throws(BerthError)
        -> [Node]
    {
        var out: [Node] = []
        while i < tokens.count {
            let t = tokens[i]
            i += 1
            if !t.isAction {
                if !t.text.isEmpty { out.append(.text(t.text)) }
                continue
            }
            let words = t.text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = words.first else { throw .invalid("template: empty action in \"\(source)\"") }
            switch first {
            case "end":
                guard inRange else { throw .invalid("template: {{end}} without {{range}} in \"\(source)\"") }
                return out
            case "range":
                guard words.count == 2 else { throw .invalid("template: {{range}} needs one field in \"\(source)\"") }
                let p = try path(words[1], source: source)
                let body = try parse(tokens, &i, inRange: true, source: source)
                out.append(.range(p, body))
            case "json":
                guard words.count == 2 else { throw .invalid("template: {{json}} needs one field in \"\(source)\"") }
                out.append(.value(try path(words[1], source: source), json: true))
            case "join":
                guard words.count == 3 else { throw .invalid("template: {{join .Field \",\"}} needs a field and a separator") }
                out.append(.join(try path(words[1], source: source), words[2].trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
            default:
                guard words.count == 1 else { throw .invalid("template: function \"\(first)\" is not supported in \"\(source)\"") }
                out.append(.value(try path(first, source: source), json: false))
            }
        }
        if inRange { throw .invalid("template: {{range}} without {{end}} in \"\(source)\"") }
        return out
    }

    /// Renders over any Encodable value (through its JSON form, so field names are Docker's).
    public func render(_ value: some Encodable) throws -> String {
        let data = try JSONEncoder().encode(value)
        return try render(json: JSONDecoder().decode(JSONValue.self, from: data).plain)
    }

    /// Renders over a JSON tree (`[String: Any]`, arrays, strings, numbers, booleans).
    public func render(json: Any) throws -> String {
        var out = ""
        try GoTemplate.run(nodes, json, &out)
        return out
    }

    static func lookup(_ path: [String], in value: Any) throws(BerthError) -> Any {
        var v: Any = value
        for key in path {
            guard let dict = v as? [String: Any] else { throw .invalid("template: can't evaluate field \(key)") }
            guard let next = dict[key] else { throw .invalid("template: can't evaluate field \(key)") }
            v = next
        }
        return v
    }

    static func run(_ nodes: [Node], _ dot: Any, _ out: inout String) throws {
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case .value(let p, let json):
                let v = try lookup(p, in: dot)
                out += json ? jsonText(v) : plain(v)
            case .join(let p, let sep):
                let v = try lookup(p, in: dot)
                out += ((v as? [Any]) ?? []).map(plain).joined(separator: sep)
            case .range(let p, let body):
                let v = try lookup(p, in: dot)
                if let a = v as? [Any] {
                    for item in a { try run(body, item, &out) }
                } else if let d = v as? [String: Any] {
                    for k in d.keys.sorted() { try run(body, d[k] as Any, &out) }
                }
            }
        }
    }

    /// Go's default printing: maps as `map[k:v]`, arrays as `[a b]`, nil as `<no value>`.
    static func plain(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let n as Double: return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case let a as [Any]: return "[" + a.map(plain).joined(separator: " ") + "]"
        case let d as [String: Any]:
            return "map[" + d.keys.sorted().map { "\($0):\(plain(d[$0] as Any))" }.joined(separator: " ") + "]"
        case is JSONValue.Null: return "<no value>"
        default: return "\(v)"
        }
    }

    static func jsonText(_ v: Any) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(JSONValue(plain: v)) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Docker's table output: columns padded like Go's tabwriter (min width 10, padding 3).
public enum TableWriter {
    public static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], max(10, c.count + 3)) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                i == r.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}

extension JSONValue {
    /// Docker-style indented JSON (4 spaces, `{}`/`[]` when empty); keys sorted, so output is stable.
    func pretty(_ level: Int = 0) -> String {
        let pad = String(repeating: "    ", count: level + 1)
        let close = String(repeating: "    ", count: level)
        switch self {
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { pad + $0.pretty(level + 1) }.joined(separator: ",\n") + "\n" + close + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{\n"
                + o.keys.sorted().map { k in pad + JSONValue.string(k).pretty() + ": " + (o[k] ?? .null).pretty(level + 1) }
                .joined(separator: ",\n") + "\n" + close + "}"
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
    }

    /// Pretty JSON of any encodable value.
    static func pretty(_ value: some Encodable) throws -> String {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)).pretty()
    }
}
