import BerthAPI
import BerthAddressing
import BerthCore
import BerthFirewall
import BerthNetlink
import BerthStore
import BerthSystem
import Foundation

/// One berth object found in the live kernel or on disk with no record that owns it.
struct Orphan: Sendable {
    enum Kind: Sendable {
        case veth(String)
        case bridge(String)
        case element(MapElement)
        case rule(ListedRule)
        case allocation(network: String, address: String)
        case netnsPin(String)
        case namedNetns(String)
        case mount(String)
        case containerDirectory(String)
    }

    var kind: Kind
    /// `veth`, `bridge`, `nft element`, … (the check is named `orphan <what>`).
    var what: String
    var object: String
    var detail: String

    var check: DoctorCheck {
        DoctorCheck(
            name: "orphan \(what)", status: .warning, detail: detail, fix: "berth doctor --fix removes it",
            object: object)
    }
}

/// berth's name patterns: host veth ends `veth<7 hex>`, user-network bridges `br-<12 hex>`.
enum BerthNames {
    static func isVeth(_ name: String) -> Bool {
        name.count == 11 && name.hasPrefix("veth") && isHex(name.dropFirst(4))
    }
    static func isBridge(_ name: String) -> Bool {
        name.count == 15 && name.hasPrefix("br-") && isHex(name.dropFirst(3))
    }
    static func isHex(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isHexDigit && !$0.isUppercase } }
}

extension NetworkEngine {
    /// Network-side orphans, read from the live kernel and compared with the store (on the actor, so no
    /// endpoint is half-made while this looks).
    func networkOrphans() throws -> [Orphan] {
        var out: [Orphan] = []
        let nets = try store.read { tx in try tx.networks() }
        let eps = try endpoints()
        let bridges = Set(nets.compactMap(\.bridge))
        let conn = try NetlinkConnection(
            namespace: config.hostNamespace.path == NetworkNamespace.current.path ? nil : config.hostNamespace)
        let links = try conn.links()
        // Docker names its bridges and veths the same way; with Docker on this host, a br-<hex> bridge
        // berth does not know may well be Docker's, so it is left alone (neither reported nor removed).
        let dockerHere =
            links.contains { $0.name == "docker0" } || FileSystem.exists("/run/docker.sock")
            || FileSystem.exists("/var/run/docker.sock")
        var orphanBridges: Set<Int> = []
        for l in links where l.kind == .bridge && BerthNames.isBridge(l.name) && !bridges.contains(l.name) {
            if dockerHere { continue }
            orphanBridges.insert(l.index)
            out.append(
                Orphan(
                    kind: .bridge(l.name), what: "bridge", object: l.name,
                    detail: "bridge \(l.name) matches berth's naming but belongs to no network in berth's store"))
        }
        let berthBridgeIndexes = Set(links.filter { bridges.contains($0.name) }.map(\.index)).union(orphanBridges)
        let owned = Set(eps.map(\.hostInterface))
        for l in links where l.kind == .veth && BerthNames.isVeth(l.name) && !owned.contains(l.name) {
            // A veth on someone else's bridge is not berth's, whatever its name.
            if let m = l.masterIndex, !berthBridgeIndexes.contains(m) { continue }
            let master = l.masterIndex.flatMap { m in links.first { $0.index == m }?.name }
            out.append(
                Orphan(
                    kind: .veth(l.name), what: "veth", object: l.name,
                    detail:
                        "veth \(l.name)\(master.map { " (on \($0))" } ?? "") matches berth's naming but no endpoint owns it"
                ))
        }
        // nftables: elements and rules tagged with ids that no longer exist.
        if let driver = firewall as? NftablesDriver {
            let state = FirewallState(table: config.firewallTable)
            let netTags = Set(nets.map { state.tag(network: $0.id) })
            let epTags = Set(eps.map { state.tag(endpoint: $0.id) })
            let netPrefix = config.firewallTable + ":net:"
            let epPrefix = config.firewallTable + ":ep:"
            let live = try? driver.liveRuleset(table: config.firewallTable)
            for e in live?.elements ?? [] {
                guard let c = e.comment, c.hasPrefix(epPrefix), !epTags.contains(c) else { continue }
                out.append(
                    Orphan(
                        kind: .element(e), what: "nft element", object: "\(e.map) { \(e.key) }",
                        detail:
                            "element \(e.key) : \(e.value) of map \(e.map) (table ip \(config.firewallTable)) is tagged \(c), an endpoint that no longer exists"
                    ))
            }
            // Rules tagged with vanished networks: in berth's table and in the host's FORWARD chain.
            let rules = (live?.rules.map { ($0, "chain") } ?? [])
                + ((try? driver.hostForwardChain())?.rules.map { ($0, "the host's chain") } ?? [])
            for (r, whose) in rules {
                guard let c = r.comment, c.hasPrefix(netPrefix), !netTags.contains(c) else { continue }
                out.append(
                    Orphan(
                        kind: .rule(r), what: "nft rule", object: "ip \(r.table) \(r.chain) handle \(r.handle)",
                        detail:
                            "rule \(r.handle) of \(whose) \(r.chain) (table ip \(r.table)) is tagged \(c), a network that no longer exists"
                    ))
            }
        }
        // IPAM: addresses held by endpoints that no longer exist (reservations have no owner).
        let epIds = Set(eps.map(\.id))
        for n in nets {
            for a in try store.read({ tx in try tx.allocations(network: n.id) })
            where !a.owner.isEmpty && !epIds.contains(a.owner) {
                out.append(
                    Orphan(
                        kind: .allocation(network: n.id, address: a.address), what: "allocation",
                        object: "\(n.name) \(a.address)",
                        detail:
                            "address \(a.address) of network \(n.name) is allocated to \(Identifier.short(a.owner)), an endpoint that no longer exists"
                    ))
            }
        }
        return out
    }

    /// Removes network-side orphans; one report per object, removal failures as failures.
    func removeNetworkOrphans(_ orphans: [Orphan]) -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        let driver = firewall as? NftablesDriver
        func report(_ o: Orphan, _ failure: String?) {
            if let failure {
                out.append(
                    DoctorCheck(
                        name: "orphan \(o.what)", status: .failure, detail: "could not remove \(o.object): \(failure)",
                        object: o.object))
            } else {
                out.append(
                    DoctorCheck(
                        name: "removed \(o.what)", status: .ok,
                        detail: "removed \(o.detail.prefix(1).lowercased() + o.detail.dropFirst())", object: o.object,
                        removed: true))
            }
        }
        // Elements and rules first (they name the veths and bridges), then addresses, veths, bridges.
        for o in orphans {
            switch o.kind {
            case .element(let e): report(o, driver?.deleteElements([e], table: config.firewallTable).first)
            case .rule(let r): report(o, driver?.deleteRules([r]).first)
            default: continue
            }
        }
        for o in orphans {
            switch o.kind {
            case .allocation(let network, let address):
                do {
                    _ = try store.write { tx in try tx.deleteAllocation(network: network, address: address) }
                    report(o, nil)
                } catch { report(o, "\(error)") }
            case .veth(let name), .bridge(let name):
                do {
                    try kernel.deleteLink(name)
                    report(o, nil)
                } catch { report(o, "\(error)") }
            default: continue
            }
        }
        return out
    }

    /// The reverse: endpoints in the store whose host veth vanished from the kernel.
    func vanishedEndpoints() throws -> [DoctorCheck] {
        try endpoints().filter { $0.state == .ready && (try? kernel.linkExists($0.hostInterface)) == false }.map { ep in
            DoctorCheck(
                name: "endpoint \(ep.hostInterface)", status: .failure,
                detail:
                    "\(ep.ownerName)'s endpoint is recorded but its veth \(ep.hostInterface) is gone from the kernel: it has no network",
                fix: "berth restart \(ep.ownerName)", object: ep.hostInterface)
        }
    }
}

/// `berth doctor` as the API serves it: the network checks plus orphans on both sides.
extension ContainerEngine: DiagnosticsService {
    public func doctor() async throws -> [DoctorCheck] {
        var checks = try await networks.doctor()
        checks += try await networks.vanishedEndpoints()
        let orphans = try await allOrphans()
        checks += orphans.map(\.check)
        if orphans.isEmpty {
            checks.append(
                DoctorCheck(
                    name: "orphan objects", status: .ok,
                    detail:
                        "no orphaned berth veths, bridges, netns pins, nft elements or rules, allocations, container directories or mounts"
                ))
        }
        return checks
    }

    /// Removes exactly the orphans found now, then runs the network repairs and the checks again.
    public func doctorFix() async throws -> [DoctorCheck] {
        let orphans = try await allOrphans()
        var removed = removeContainerOrphans(orphans)
        removed += await networks.removeNetworkOrphans(orphans)
        let after = try await networks.doctorFix()
        var checks = removed + after
        checks += try await networks.vanishedEndpoints()
        let left = try await allOrphans()
        checks += left.map(\.check)
        if left.isEmpty {
            checks.append(DoctorCheck(name: "orphan objects", status: .ok, detail: "no orphaned berth objects remain"))
        }
        return checks
    }

    func allOrphans() async throws -> [Orphan] {
        containerOrphans() + (try await networks.networkOrphans())
    }

    /// Container-side orphans: netns pins and named links, overlay mounts and directories whose
    /// container is not in the store.
    func containerOrphans() -> [Orphan] {
        let ids = Set(((try? list()) ?? []).map(\.id))
        var out: [Orphan] = []
        var orphanInodes: Set<UInt64> = []
        for name in FileSystem.listDirectory(config.netnsDirectory) where !ids.contains(name) {
            let path = config.netnsDirectory + "/" + name
            if let i = try? NetworkNamespace(path: path).inode() { orphanInodes.insert(i) }
            out.append(
                Orphan(
                    kind: .netnsPin(path), what: "netns", object: path,
                    detail: "network namespace pin \(path) belongs to no container"))
        }
        if !config.namedNetnsDirectory.isEmpty {
            for name in FileSystem.listDirectory(config.namedNetnsDirectory) {
                let path = config.namedNetnsDirectory + "/" + name
                guard let i = try? NetworkNamespace(path: path).inode(), orphanInodes.contains(i) else { continue }
                out.append(
                    Orphan(
                        kind: .namedNetns(path), what: "netns", object: path,
                        detail: "named network namespace \(path) is the namespace of an orphaned pin"))
            }
        }
        let prefix = config.containersDirectory + "/"
        let mounts = ((try? FileSystem.readText("/proc/self/mountinfo")) ?? "").split(separator: "\n").compactMap {
            line -> String? in
            let f = line.split(separator: " ")
            guard f.count > 4 else { return nil }
            let point = String(f[4]).replacingOccurrences(of: "\\040", with: " ")
            return point.hasPrefix(prefix) ? point : nil
        }
        // Deepest first, so nested mounts come off before their parents.
        for point in Set(mounts).sorted(by: { $0.count > $1.count }) {
            let id = String(point.dropFirst(prefix.count).prefix { $0 != "/" })
            guard !ids.contains(id) else { continue }
            out.append(
                Orphan(
                    kind: .mount(point), what: "mount", object: point, detail: "mount \(point) belongs to no container")
            )
        }
        for name in FileSystem.listDirectory(config.containersDirectory) where !ids.contains(name) {
            let path = prefix + name
            out.append(
                Orphan(
                    kind: .containerDirectory(path), what: "container directory", object: path,
                    detail: "container directory \(path) has no container record"))
        }
        return out
    }

    /// Removes container-side orphans: mounts, then netns links and pins, then directories.
    func removeContainerOrphans(_ orphans: [Orphan]) -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        func attempt(_ o: Orphan, _ body: () throws -> Void) {
            do {
                try body()
                out.append(
                    DoctorCheck(
                        name: "removed \(o.what)", status: .ok,
                        detail: "removed \(o.detail.prefix(1).lowercased() + o.detail.dropFirst())", object: o.object,
                        removed: true))
            } catch {
                out.append(
                    DoctorCheck(
                        name: "orphan \(o.what)", status: .failure, detail: "could not remove \(o.object): \(error)",
                        object: o.object))
            }
        }
        for o in orphans { if case .mount(let p) = o.kind { attempt(o) { try FileSystem.unmount(p) } } }
        for o in orphans {
            if case .namedNetns(let p) = o.kind { attempt(o) { try NetworkNamespace(path: p).delete() } }
        }
        for o in orphans { if case .netnsPin(let p) = o.kind { attempt(o) { try NetworkNamespace(path: p).delete() } } }
        for o in orphans { if case .containerDirectory(let p) = o.kind { attempt(o) { try FileSystem.removeTree(p) } } }
        return out
    }
}
