import BerthCore

/// One element of an nftables map, as `nft -j list table` shows it.
public struct MapElement: Sendable, Equatable {
    /// The map holding it (`pub-tcp`, `pub-tcp-addr`, …).
    public var map: String
    /// The key as nft writes it (`8080`, `127.0.0.1 . 8080`), usable in `delete element`.
    public var key: String
    /// The mapped value (`172.17.0.2 . 80`).
    public var value: String
    /// The element's comment tag (`berth:ep:<12 hex>`).
    public var comment: String?
}

/// A rule as `berth trace` and `berth doctor` read it: where it is, its tag, its counter.
public struct ListedRule: Sendable, Equatable {
    public var table: String
    public var chain: String
    public var handle: UInt64
    public var comment: String?
    /// nil when the rule has no counter.
    public var packets: UInt64?
}

/// What `berth trace` and `berth doctor` read from the live ruleset: the chains, every rule (counted
/// or not) and every map element with its tag.
public struct LiveRuleset: Sendable, Equatable {
    public var chains: [String]
    public var rules: [ListedRule]
    public var elements: [MapElement]
}

extension NftablesDriver {
    /// `nft -j list table ip <table>`, read into chains, rules and map elements.
    public func liveRuleset(table: String) throws -> LiveRuleset {
        let r = try nft(["-j", "list", "table", "ip", table])
        guard r.succeeded else {
            if Self.meansAbsent(r) { throw BerthError.notFound("nftables table ip \(table) does not exist") }
            throw BerthError(
                .system, "could not list the nftables table ip \(table)", causeText: Self.trimmed(r.stderr))
        }
        do {
            return try Self.liveRuleset(json: r.stdout)
        } catch {
            throw BerthError(.internalError, "could not read nft's JSON listing of table ip \(table)", cause: error)
        }
    }

    /// The rules of the host's `ip filter FORWARD` chain (none when it does not exist), with the chain's policy.
    public func hostForwardChain() throws -> (policyDrop: Bool, rules: [ListedRule]) {
        guard let listing = try hostForwardListing() else { return (false, []) }
        let rules = listing.rules.filter { $0.chain == RulesetBuilder.hostForwardChain }.map {
            ListedRule(table: $0.table, chain: $0.chain, handle: $0.handle, comment: $0.comment, packets: $0.packets)
        }
        return (Self.forwardPolicyIsDrop(listing), rules)
    }

    /// `nft delete element ip TABLE MAP { KEY }` for each element, one batch each so one that is
    /// already gone does not keep the others; returns the failures.
    public func deleteElements(_ elements: [MapElement], table: String) -> [String] {
        elements.compactMap { e in
            do {
                try runScript(
                    "delete element ip \(table) \(e.map) { \(e.key) }\n", what: "element \(e.key) of map \(e.map)")
                return nil
            } catch { return "element \(e.key) of \(e.map): \(error)" }
        }
    }

    /// `nft delete rule ip TABLE CHAIN handle H` for each rule; returns the failures.
    public func deleteRules(_ rules: [ListedRule]) -> [String] {
        rules.compactMap { r in
            do {
                try runScript(
                    "delete rule ip \(r.table) \(r.chain) handle \(r.handle)\n",
                    what: "rule \(r.handle) of chain \(r.chain)")
                return nil
            } catch { return "rule \(r.handle) of \(r.table) \(r.chain): \(error)" }
        }
    }

    static func liveRuleset(json: String) throws -> LiveRuleset {
        let root = try JSONValue.parse(json)
        var out = LiveRuleset(chains: [], rules: [], elements: [])
        for item in root["nftables"]?.array ?? [] {
            if let c = item["chain"], let name = c["name"]?.string {
                out.chains.append(name)
            } else if let r = item["rule"], let handle = r["handle"]?.uint64 {
                let counter = r["expr"]?.array?.lazy.compactMap { $0["counter"] }.first
                out.rules.append(
                    ListedRule(
                        table: r["table"]?.string ?? "", chain: r["chain"]?.string ?? "", handle: handle,
                        comment: r["comment"]?.string, packets: counter?["packets"]?.uint64))
            } else if let m = item["map"], let name = m["name"]?.string {
                for pair in m["elem"]?.array ?? [] {
                    guard let kv = pair.array, kv.count == 2 else { continue }
                    var key = kv[0]
                    var comment: String?
                    if let e = key["elem"] {
                        comment = e["comment"]?.string
                        key = e["val"] ?? key
                    }
                    out.elements.append(MapElement(map: name, key: text(key), value: text(kv[1]), comment: comment))
                }
            }
        }
        return out
    }

    /// nft's own spelling of a key or value: concatenations joined with " . ".
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        case .array(let a): return a.map(text).joined(separator: ", ")
        case .object(let o):
            if let parts = o["concat"]?.array { return parts.map(text).joined(separator: " . ") }
            if let e = o["elem"], let val = e["val"] { return text(val) }
            return ""
        }
    }
}
