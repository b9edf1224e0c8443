import BerthCore
import Foundation

/// The subset of Go's text/template that `docker … --format` users rely on, evaluated over a value's
/// JSON form: fields (`{{.NetworkSettings.IPAddress}}`, `{{.}}`), functions `json`, `index`, `len`,
/// `join`, `lower`, `upper`, `printf` (%s %d %v), parentheses with a field after them
/// (`{{(index .NetworkSettings.Ports "80/tcp")}}`), `{{range}}…{{end}}` over arrays and maps and
/// `{{if}}…{{else}}…{{end}}`. `table` prefixes are handled by the caller.
public struct GoTemplate: Sendable {
    indirect enum Expr: Sendable {
        case field([String])
        case string(String)
        case number(Int)
        case call(String, [Expr])
        /// A parenthesised expression followed by fields: `(index .A "k").B`.
        case sub(Expr, [String])
    }

    indirect enum Node: Sendable {
        case text(String)
        case expr(Expr)
        case range(Expr, [Node])
        case conditional(Expr, [Node], [Node])
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
            var action = rest[open.upperBound..<close.lowerBound]
            if action.hasPrefix("-") { action = action.dropFirst() }
            if action.hasSuffix("-") { action = action.dropLast() }
            tokens.append((true, action.trimmingCharacters(in: .whitespaces)))
            rest = rest[close.upperBound...]
        }
        tokens.append((false, String(rest)))
        var index = 0
        let (parsed, end) = try GoTemplate.parse(tokens, &index, source: text)
        if let end { throw .invalid("template: unexpected {{\(end)}} in \"\(text)\"") }
        nodes = parsed
    }

    /// Parses nodes until `{{end}}`/`{{else}}` (returned as the second value) or the end of input.
    static func parse(_ tokens: [(isAction: Bool, text: String)], _ i: inout Int, source: String) throws(BerthError)
        -> ([Node], String?)
    {
        var out: [Node] = []
        while i < tokens.count {
            let t = tokens[i]
            i += 1
            if !t.isAction {
                if !t.text.isEmpty { out.append(.text(t.text)) }
                continue
            }
            var words = try lex(t.text, source: source)
            guard let first = words.first else { throw .invalid("template: empty action in \"\(source)\"") }
            switch first.text {
            case "end", "else":
                return (out, first.text)
            case "range", "if":
                words.removeFirst()
                var k = 0
                let e = try expression(words, &k, source: source)
                let (body, end) = try parse(tokens, &i, source: source)
                var otherwise: [Node] = []
                if end == "else" {
                    let (elseBody, end2) = try parse(tokens, &i, source: source)
                    guard end2 == "end" else { throw .invalid("template: {{else}} without {{end}} in \"\(source)\"") }
                    otherwise = elseBody
                } else if end != "end" {
                    throw .invalid("template: {{\(first.text)}} without {{end}} in \"\(source)\"")
                }
                out.append(first.text == "range" ? .range(e, body) : .conditional(e, body, otherwise))
            default:
                var k = 0
                out.append(.expr(try expression(words, &k, source: source)))
                if k < words.count { throw .invalid("template: unexpected \"\(words[k].text)\" in \"\(source)\"") }
            }
        }
        return (out, nil)
    }

    struct Token {
        var text: String
        /// Whether it follows the previous token without a space (`).Field`).
        var adjacent: Bool
    }

    static func lex(_ s: String, source: String) throws(BerthError) -> [Token] {
        var out: [Token] = []
        var chars = Array(s)[...]
        var adjacent = false
        while let c = chars.first {
            if c == " " || c == "\t" {
                chars.removeFirst()
                adjacent = false
                continue
            }
            if c == "(" || c == ")" {
                out.append(Token(text: String(c), adjacent: adjacent))
                chars.removeFirst()
                adjacent = true
                continue
            }
            if c == "\"" || c == "`" {
                chars.removeFirst()
                var lit = ""
                while let d = chars.first, d != c {
                    chars.removeFirst()
                    if d == "\\", c == "\"", let e = chars.first {
                        chars.removeFirst()
                        lit.append(e == "n" ? "\n" : e == "t" ? "\t" : e)
                    } else {
                        lit.append(d)
                    }
                }
                guard chars.first == c else { throw .invalid("template: unterminated string in \"\(source)\"") }
                chars.removeFirst()
                out.append(Token(text: "\"" + lit, adjacent: adjacent))
                adjacent = true
                continue
            }
            var word = ""
            while let d = chars.first, d != " ", d != "(", d != ")", d != "\t" {
                word.append(d)
                chars.removeFirst()
            }
            out.append(Token(text: word, adjacent: adjacent))
            adjacent = true
        }
        return out
    }

    static func fieldPath(_ s: String, source: String) throws(BerthError) -> [String] {
        guard s.hasPrefix(".") else { throw .invalid("template: expected a field such as .Name, got \"\(s)\" in \"\(source)\"") }
        return s == "." ? [] : s.dropFirst().split(separator: ".").map(String.init)
    }

    static let functions: Set<String> = ["json", "index", "len", "join", "lower", "upper", "printf", "print", "println"]

    /// A command: a function with arguments, or a single term.
    static func expression(_ w: [Token], _ k: inout Int, source: String) throws(BerthError) -> Expr {
        guard k < w.count else { throw .invalid("template: missing value in \"\(source)\"") }
        if functions.contains(w[k].text) {
            let name = w[k].text
            k += 1
            var args: [Expr] = []
            while k < w.count && w[k].text != ")" { args.append(try term(w, &k, source: source)) }
            return .call(name, args)
        }
        if w[k].text.first?.isLetter == true {
            throw .invalid("template: function \"\(w[k].text)\" is not supported in \"\(source)\"")
        }
        return try term(w, &k, source: source)
    }

    static func term(_ w: [Token], _ k: inout Int, source: String) throws(BerthError) -> Expr {
        let t = w[k]
        k += 1
        if t.text == "(" {
            let inner = try expression(w, &k, source: source)
            guard k < w.count, w[k].text == ")" else { throw .invalid("template: unclosed ( in \"\(source)\"") }
            k += 1
            if k < w.count, w[k].adjacent, w[k].text.hasPrefix(".") {
                let path = try fieldPath(w[k].text, source: source)
                k += 1
                return .sub(inner, path)
            }
            return inner
        }
        if t.text.hasPrefix("\"") { return .string(String(t.text.dropFirst())) }
        if let n = Int(t.text) { return .number(n) }
        if t.text.hasPrefix("$") { return .field([]) }
        if functions.contains(t.text) {
            throw .invalid("template: put parentheses around \(t.text) when it is an argument, in \"\(source)\"")
        }
        return .field(try fieldPath(t.text, source: source))
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
            guard let dict = v as? [String: Any] else {
                if v is JSONValue.Null { return v }
                throw .invalid("template: can't evaluate field \(key)")
            }
            guard let next = dict[key] else { throw .invalid("template: can't evaluate field \(key)") }
            v = next
        }
        return v
    }

    static func eval(_ e: Expr, _ dot: Any) throws -> Any {
        switch e {
        case .field(let p): return try lookup(p, in: dot)
        case .string(let s): return s
        case .number(let n): return n
        case .sub(let inner, let p): return try lookup(p, in: try eval(inner, dot))
        case .call(let name, let args):
            let values = try args.map { try eval($0, dot) }
            switch name {
            case "json":
                guard values.count == 1 else { throw BerthError.invalid("template: json takes one argument") }
                return jsonText(values[0])
            case "len":
                guard values.count == 1 else { throw BerthError.invalid("template: len takes one argument") }
                if let a = values[0] as? [Any] { return a.count }
                if let d = values[0] as? [String: Any] { return d.count }
                if let s = values[0] as? String { return s.utf8.count }
                return 0
            case "index":
                guard var v = values.first else { throw BerthError.invalid("template: index needs a value") }
                for key in values.dropFirst() {
                    if let d = v as? [String: Any], let k = key as? String {
                        v = d[k] ?? JSONValue.Null()
                    } else if let a = v as? [Any], let i = key as? Int {
                        guard i >= 0 && i < a.count else { throw BerthError.invalid("template: index \(i) out of range") }
                        v = a[i]
                    } else {
                        throw BerthError.invalid("template: can't index \(plain(v)) with \(plain(key))")
                    }
                }
                return v
            case "join":
                guard values.count == 2 else { throw BerthError.invalid("template: {{join .Field \",\"}} needs a field and a separator") }
                return ((values[0] as? [Any]) ?? []).map(plain).joined(separator: plain(values[1]))
            case "lower": return values.map(plain).joined().lowercased()
            case "upper": return values.map(plain).joined().uppercased()
            case "print": return values.map(plain).joined(separator: " ")
            case "println": return values.map(plain).joined(separator: " ") + "\n"
            default:  // printf
                guard let format = values.first as? String else { throw BerthError.invalid("template: printf needs a format string") }
                var out = ""
                var rest = values.dropFirst().makeIterator()
                var chars = Array(format)[...]
                while let c = chars.popFirst() {
                    if c == "%", let verb = chars.popFirst() {
                        if verb == "%" { out.append("%") } else { out += rest.next().map(plain) ?? "%!\(verb)(MISSING)" }
                    } else {
                        out.append(c)
                    }
                }
                return out
            }
        }
    }

    static func truthy(_ v: Any) -> Bool {
        switch v {
        case let b as Bool: return b
        case let s as String: return !s.isEmpty
        case let i as Int: return i != 0
        case let n as Double: return n != 0
        case let a as [Any]: return !a.isEmpty
        case let d as [String: Any]: return !d.isEmpty
        default: return false
        }
    }

    static func run(_ nodes: [Node], _ dot: Any, _ out: inout String) throws {
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case .expr(let e): out += plain(try eval(e, dot))
            case .range(let e, let body):
                let v = try eval(e, dot)
                if let a = v as? [Any] {
                    for item in a { try run(body, item, &out) }
                } else if let d = v as? [String: Any] {
                    for k in d.keys.sorted() { try run(body, d[k] as Any, &out) }
                }
            case .conditional(let e, let yes, let no):
                try run(truthy(try eval(e, dot)) ? yes : no, dot, &out)
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
