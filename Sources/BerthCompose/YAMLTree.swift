import BerthCore
import Foundation
import Yams

/// A YAML document as a small tree that remembers where each value came from (file and line), so
/// every warning and error can name them. Scalars are already interpolated (`${VAR:-default}`).
indirect enum YAMLTree: Sendable {
    case scalar(String, Origin)
    case map([(key: String, value: YAMLTree)], Origin)
    case list([YAMLTree], Origin)
    case null(Origin)

    struct Origin: Sendable, CustomStringConvertible {
        var file: String
        var line: Int
        var description: String { "\(file):\(line)" }
    }

    var origin: Origin {
        switch self {
        case .scalar(_, let o), .map(_, let o), .list(_, let o), .null(let o): o
        }
    }

    var string: String? { if case .scalar(let s, _) = self { s } else { nil } }

    var entries: [(key: String, value: YAMLTree)]? { if case .map(let m, _) = self { m } else { nil } }

    subscript(key: String) -> YAMLTree? { entries?.first { $0.key == key }?.value }

    /// Parses `text` (from `file`), interpolating scalars with `variables`.
    static func parse(_ text: String, file: String, variables: [String: String]) throws -> YAMLTree {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw BerthError.invalid("\(file): invalid YAML: \(e)")
        }
        guard let node else { return .null(Origin(file: file, line: 1)) }
        return try convert(node, file: file, variables: variables)
    }

    static func convert(_ node: Node, file: String, variables: [String: String]) throws -> YAMLTree {
        let origin = Origin(file: file, line: node.mark?.line ?? 0)
        switch node {
        case .scalar(let s):
            if s.style == .plain && (s.string == "null" || s.string == "~" || s.string.isEmpty) {
                return .null(origin)
            }
            return .scalar(try Interpolation.apply(s.string, variables: variables, at: origin), origin)
        case .mapping(let m):
            var out: [(key: String, value: YAMLTree)] = []
            for (k, v) in m {
                guard let key = k.string else { throw BerthError.invalid("\(origin): mapping keys must be strings") }
                if key == "<<" { throw BerthError.invalid("\(origin): YAML merge keys (<<) are not supported") }
                out.append((key, try convert(v, file: file, variables: variables)))
            }
            return .map(out, origin)
        case .sequence(let seq):
            return .list(try seq.map { try convert($0, file: file, variables: variables) }, origin)
        case .alias:
            throw BerthError.invalid("\(origin): YAML aliases are not supported")
        }
    }

    /// Later files override earlier ones, by the Compose Specification's merge rules: maps merge key
    /// by key; a service's `environment`, `labels`, `extra_hosts`, `sysctls`, `networks` and
    /// `depends_on` merge as maps whichever form (list or map) each file used; its `command` and
    /// `entrypoint` are replaced; its other lists (`ports`, `expose`, `dns`, `cap_add`, …) are
    /// appended, without repeating an entry; any other value is replaced.
    static func merge(_ base: YAMLTree, _ override: YAMLTree, path: [String] = []) -> YAMLTree {
        if path.count == 3 && path[0] == "services" {
            let key = path[2]
            if mapLikeKeys.contains(key) {
                return merge(asMap(base, key: key), asMap(override, key: key), path: path + ["*"])
            }
            if key == "command" || key == "entrypoint" { return override }
            if case .list(let b, let o) = base, case .list(let over, _) = override {
                var out = b
                for item in over where !out.contains(where: { $0.sameValue(as: item) }) { out.append(item) }
                return .list(out, o)
            }
        }
        guard case .map(let b, let o) = base, case .map(let over, _) = override else { return override }
        var out = b
        for (k, v) in over {
            if let i = out.firstIndex(where: { $0.key == k }) {
                out[i].value = merge(out[i].value, v, path: path + [k])
            } else {
                out.append((k, v))
            }
        }
        return .map(out, o)
    }

    static let mapLikeKeys: Set<String> = ["environment", "labels", "extra_hosts", "sysctls", "networks", "depends_on"]

    /// The map form of a list-form key: `KEY=VALUE` (or `host:ip` for extra_hosts) items, or bare
    /// names (networks, depends_on, a bare environment key) with a null value.
    static func asMap(_ v: YAMLTree, key: String) -> YAMLTree {
        guard case .list(let items, let o) = v else { return v }
        var out: [(key: String, value: YAMLTree)] = []
        for item in items {
            guard let s = item.string else { continue }
            let separators: [Character] = key == "extra_hosts" ? ["=", ":"] : ["="]
            if key != "networks" && key != "depends_on", let sep = s.firstIndex(where: { separators.contains($0) }) {
                out.append((String(s[..<sep]), .scalar(String(s[s.index(after: sep)...]), item.origin)))
            } else {
                out.append((s, .null(item.origin)))
            }
        }
        return .map(out, o)
    }

    /// Equal as YAML values (origins aside).
    func sameValue(as other: YAMLTree) -> Bool {
        switch (self, other) {
        case (.scalar(let a, _), .scalar(let b, _)): return a == b
        case (.null, .null): return true
        case (.list(let a, _), .list(let b, _)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.map(let a, _), .map(let b, _)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value.sameValue(as: $1.value) }
        default: return false
        }
    }
}

/// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `$VAR` and `$$` (a literal `$`).
enum Interpolation {
    static func apply(_ text: String, variables: [String: String], at origin: YAMLTree.Origin) throws -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == "$" else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            let next = text.index(after: i)
            if next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
            } else if next < text.endIndex, text[next] == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw BerthError.invalid("\(origin): unterminated ${ in \"\(text)\"")
                }
                let inner = String(text[text.index(after: next)..<close])
                out += try expand(inner, variables: variables, at: origin)
                i = text.index(after: close)
            } else {
                var j = next
                while j < text.endIndex, text[j].isLetter || text[j].isNumber || text[j] == "_" {
                    j = text.index(after: j)
                }
                if j == next {
                    out.append("$")
                    i = next
                } else {
                    out += variables[String(text[next..<j])] ?? ""
                    i = j
                }
            }
        }
        return out
    }

    static func expand(_ inner: String, variables: [String: String], at origin: YAMLTree.Origin) throws -> String {
        for op in [":-", ":?", "-", "?"] {
            guard let r = inner.range(of: op) else { continue }
            let name = String(inner[..<r.lowerBound])
            let arg = String(inner[r.upperBound...])
            let value = variables[name]
            let unset = op.hasPrefix(":") ? (value ?? "").isEmpty : value == nil
            if op.hasSuffix("-") { return unset ? arg : (value ?? "") }
            if unset {
                throw BerthError.invalid(
                    "\(origin): required variable \(name) is not set\(arg.isEmpty ? "" : ": \(arg)")")
            }
            return value ?? ""
        }
        guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw BerthError.invalid("\(origin): invalid interpolation ${\(inner)}")
        }
        return variables[inner] ?? ""
    }

    /// `.env`: KEY=VALUE lines, `#` comments, optional quotes.
    static func parseDotEnv(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            out[key] = value
        }
        return out
    }
}
