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
        guard let json, !json.isEmpty else { return NetworkFilters() }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw .invalid("invalid filters \(json): expected JSON such as {\"name\":[\"mynet\"]}")
        }
        var out: [String: [String]] = [:]
        for (key, value) in object {
            guard known.contains(key) else {
                throw .invalid("invalid filter '\(key)': network filters are \(known.sorted().joined(separator: ", "))")
            }
            if let list = value as? [String] {
                out[key] = list
            } else if let map = value as? [String: Bool] {
                out[key] = map.filter(\.value).map(\.key).sorted()
            } else {
                throw .invalid("invalid value for filter '\(key)': expected a list of strings")
            }
        }
        return NetworkFilters(out)
    }

    /// Parses CLI `--filter key=value` arguments.
    public static func parse(arguments: [String]) throws(BerthError) -> NetworkFilters {
        var out: [String: [String]] = [:]
        for a in arguments {
            guard let eq = a.firstIndex(of: "=") else {
                throw .invalid("bad format of filter \"\(a)\": expected key=value, e.g. name=mynet")
            }
            let key = String(a[..<eq])
            guard known.contains(key) else {
                throw .invalid("invalid filter '\(key)': network filters are \(known.sorted().joined(separator: ", "))")
            }
            out[key, default: []].append(String(a[a.index(after: eq)...]))
        }
        return NetworkFilters(out)
    }

    /// The JSON form for the query string.
    public var json: String {
        guard let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

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
            case "label":
                ok = wanted.contains { w in
                    if let eq = w.firstIndex(of: "=") {
                        return network.labels[String(w[..<eq])] == String(w[w.index(after: eq)...])
                    }
                    return network.labels[w] != nil
                }
            case "until": ok = wanted.contains { network.created < $0 }
            default: ok = true
            }
            if !ok { return false }
        }
        return true
    }
}
