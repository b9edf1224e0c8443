import BerthCore
import Foundation

/// Docker's `filters` for network list and prune: `{"name":["web"],"label":["team=a"]}` (or the older
/// `{"name":{"web":true}}`), as the `filters` query parameter carries it.
public struct NetworkFilters: Sendable, Equatable {
    public var values: [String: [String]]

    public static let known: Set<String> = ["name", "id", "driver", "label", "type", "dangling", "scope", "until"]

    public init(_ values: [String: [String]] = [:]) { self.values = values }

    /// Parses the JSON of the `filters` query parameter; unknown keys and bad JSON are clear 400s.
    public static func parse(json: String?) throws(BerthError) -> NetworkFilters {
        NetworkFilters(try FilterArguments.parse(json: json, known: known, kind: "network"))
    }

    /// Parses CLI `--filter key=value` arguments.
    public static func parse(arguments: [String]) throws(BerthError) -> NetworkFilters {
        NetworkFilters(try FilterArguments.parse(arguments: arguments, known: known, kind: "network"))
    }

    /// The JSON form for the query string.
    public var json: String { FilterArguments.json(values) }

    public var isEmpty: Bool { values.isEmpty }

    /// Whether `network` passes every filter (values of one key are alternatives, keys are all required).
    public func matches(_ network: NetworkResource, predefined: Bool) -> Bool {
        for (key, wanted) in values where !wanted.isEmpty {
            let ok: Bool
            switch key {
            case "name": ok = wanted.contains { network.name.contains($0) }
            case "id": ok = wanted.contains { network.id.hasPrefix($0) }
            case "driver": ok = wanted.contains(network.driver)
            case "scope": ok = wanted.contains(network.scope)
            case "type": ok = wanted.contains(predefined ? "builtin" : "custom")
            case "dangling":
                ok = wanted.contains { w in (w == "true" || w == "1") == network.containers.isEmpty && !predefined }
            case "label": ok = FilterArguments.labelsMatch(wanted, network.labels)
            case "until": ok = wanted.contains { network.created < $0 }
            default: ok = true
            }
            if !ok { return false }
        }
        return true
    }
}

/// Docker's `filters` syntax, shared by every list endpoint.
public enum FilterArguments {
    /// `{"name":["web"]}` or the older `{"name":{"web":true}}`.
    public static func parse(json: String?, known: Set<String>, kind: String) throws(BerthError) -> [String: [String]] {
        guard let json, !json.isEmpty else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw .invalid("invalid filters \(json): expected JSON such as {\"name\":[\"web\"]}")
        }
        var out: [String: [String]] = [:]
        for (key, value) in object {
            guard known.contains(key) else {
                throw .invalid("invalid filter '\(key)': \(kind) filters are \(known.sorted().joined(separator: ", "))")
            }
            if let list = value as? [String] {
                out[key] = list
            } else if let map = value as? [String: Bool] {
                out[key] = map.filter(\.value).map(\.key).sorted()
            } else {
                throw .invalid("invalid value for filter '\(key)': expected a list of strings")
            }
        }
        return out
    }

    /// CLI `--filter key=value` arguments.
    public static func parse(arguments: [String], known: Set<String>, kind: String) throws(BerthError) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for a in arguments {
            guard let eq = a.firstIndex(of: "=") else {
                throw .invalid("bad format of filter \"\(a)\": expected key=value, e.g. name=web")
            }
            let key = String(a[..<eq])
            guard known.contains(key) else {
                throw .invalid("invalid filter '\(key)': \(kind) filters are \(known.sorted().joined(separator: ", "))")
            }
            out[key, default: []].append(String(a[a.index(after: eq)...]))
        }
        return out
    }

    public static func json(_ values: [String: [String]]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `label=k` (present) or `label=k=v` (equal), any of `wanted`.
    public static func labelsMatch(_ wanted: [String], _ labels: [String: String]) -> Bool {
        wanted.contains { w in
            if let eq = w.firstIndex(of: "=") { return labels[String(w[..<eq])] == String(w[w.index(after: eq)...]) }
            return labels[w] != nil
        }
    }
}

/// Filters of `GET /containers/json` (`docker ps --filter`).
public struct ContainerFilters: Sendable, Equatable {
    public var values: [String: [String]]

    public static let known: Set<String> = ["id", "name", "label", "status", "network", "ancestor", "exited"]

    public init(_ values: [String: [String]] = [:]) { self.values = values }

    public static func parse(json: String?) throws(BerthError) -> ContainerFilters {
        let f = ContainerFilters(try FilterArguments.parse(json: json, known: known, kind: "container"))
        try f.validate()
        return f
    }

    public static func parse(arguments: [String]) throws(BerthError) -> ContainerFilters {
        let f = ContainerFilters(try FilterArguments.parse(arguments: arguments, known: known, kind: "container"))
        try f.validate()
        return f
    }

    static let statuses: Set<String> = ["created", "restarting", "running", "removing", "paused", "exited", "dead"]

    func validate() throws(BerthError) {
        for s in values["status"] ?? [] where !ContainerFilters.statuses.contains(s) {
            throw .invalid("invalid filter 'status=\(s)': use one of \(ContainerFilters.statuses.sorted().joined(separator: ", "))")
        }
        for e in values["exited"] ?? [] where Int(e) == nil {
            throw .invalid("invalid filter 'exited=\(e)': expected an exit code")
        }
    }

    public var json: String { FilterArguments.json(values) }
    public var isEmpty: Bool { values.isEmpty }

    /// Whether a listed container passes every filter.
    public func matches(_ c: ContainerSummary, exitCode: Int, imageNames: [String]) -> Bool {
        for (key, wanted) in values where !wanted.isEmpty {
            let ok: Bool
            switch key {
            case "id": ok = wanted.contains { c.Id.hasPrefix($0) }
            case "name":
                ok = wanted.contains { w in c.Names.contains { $0.dropFirst().contains(w.hasPrefix("/") ? String(w.dropFirst()) : w) } }
            case "label": ok = FilterArguments.labelsMatch(wanted, c.Labels)
            case "status": ok = wanted.contains(c.State)
            case "network":
                ok = wanted.contains { w in
                    c.NetworkSettings.Networks.contains { $0.key == w || ($0.value.NetworkID ?? "").hasPrefix(w) }
                }
            case "ancestor": ok = wanted.contains { w in imageNames.contains(w) || c.ImageID.hasPrefix(w) || c.Image == w }
            case "exited": ok = c.State == "exited" && wanted.contains(String(exitCode))
            default: ok = true
            }
            if !ok { return false }
        }
        return true
    }
}
