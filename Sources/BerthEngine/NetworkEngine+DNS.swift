import Foundation
import BerthAddressing
import BerthCore
import BerthDNS
import BerthDNSWire
import BerthStore
import BerthSystem

extension NetworkEngine {
    /// Starts the resolver in `sandbox` if it is not running there yet. Its answers come from
    /// `dnsView(sandbox:)` on every query, so connects, disconnects and removals show at once.
    func ensureDNS(sandbox: String) async throws {
        guard let dns, dnsListeners[sandbox] == nil else { return }
        let cache = dnsCache
        let listener = try await dns.serve(sandbox: NetworkNamespace(path: sandbox)) { [weak self] in
            // Most queries are answered from the cached view, without touching the store or the actor.
            if let view = cache.view(sandbox) { return view }
            guard let self else { return DNSView(askerNetworks: [], records: []) }
            let generation = cache.generation
            let view = await self.dnsView(sandbox: sandbox)
            cache.store(view, for: sandbox, ifGeneration: generation)
            return view
        }
        dnsListeners[sandbox] = listener
    }

    /// The `--dns` servers of the container in `sandbox`: its resolver forwards to them instead of
    /// the daemon's upstreams (empty: the daemon's). Kept in memory; the container engine sets it
    /// again when berthd starts.
    public func setDNSServers(sandbox: String, servers: [String]) {
        let addresses = servers.compactMap { IPv4Address($0) }
        dnsServers[sandbox] = addresses.isEmpty ? nil : addresses
        dnsCache.invalidate()
    }

    /// The ports of the resolver's UDP and TCP sockets on 127.0.0.11 in `sandbox`, if it runs there.
    public func dnsPorts(sandbox: String) -> (udp: UInt16, tcp: UInt16)? {
        guard let l = dnsListeners[sandbox] else { return nil }
        return (l.udpPort, l.tcpPort)
    }

    /// Stops the resolver of a sandbox that has no endpoint on a user-defined network any more.
    func releaseDNSIfUnused(sandbox: String) async {
        guard let dns, let listener = dnsListeners[sandbox] else { return }
        let predefined = Set(((try? networks()) ?? []).filter(\.predefined).map(\.id))
        let remaining = ((try? endpoints()) ?? []).filter { $0.sandbox == sandbox && !predefined.contains($0.networkId) }
        guard remaining.isEmpty else { return }
        dnsListeners[sandbox] = nil
        await dns.stop(listener)
    }

    /// What a sandbox's resolver may answer: the names of endpoints on the user-defined networks the
    /// sandbox is on (container name, aliases, 12-hex short id), and those networks' gateways.
    public func dnsView(sandbox: String) -> DNSView {
        guard let nets = try? networks(), let eps = try? endpoints() else { return DNSView(askerNetworks: [], records: []) }
        let user = Dictionary(uniqueKeysWithValues: nets.filter { !$0.predefined }.map { ($0.id, $0) })
        let mine = eps.filter { $0.sandbox == sandbox && user[$0.networkId] != nil }.map(\.networkId)
        var records: [DNSEndpointRecord] = []
        for ep in eps where mine.contains(ep.networkId) {
            guard let ip = ep.ipv4.flatMap({ IPv4Address($0) }) else { continue }
            let names = ([ep.ownerName, Identifier.short(ep.ownerId)] + ep.aliases).compactMap { try? DNSName($0) }
            records.append(DNSEndpointRecord(network: ep.networkId, names: names, address: ip))
        }
        var gateways: [String: IPv4Address] = [:]
        for id in mine { if let g = user[id]?.gateway.flatMap({ IPv4Address($0) }) { gateways[id] = g } }
        return DNSView(askerNetworks: mine, records: records, gateways: gateways, upstreams: dnsServers[sandbox] ?? [])
    }
}

/// The resolvers' views, one per sandbox, built from the store once and reused until anything that
/// names or addresses endpoints changes (connect, disconnect, network create/remove): building a
/// view reads every network and endpoint, far too much per query. Guarded by a lock so queries
/// never wait for the engine actor. A view built while a change happened is not kept (generation).
final class DNSViewCache: @unchecked Sendable {
    private let lock = NSLock()
    private var views: [String: DNSView] = [:]
    private var changes: UInt64 = 0

    var generation: UInt64 { lock.withLock { changes } }

    func view(_ sandbox: String) -> DNSView? { lock.withLock { views[sandbox] } }

    func store(_ view: DNSView, for sandbox: String, ifGeneration generation: UInt64) {
        lock.withLock { if changes == generation { views[sandbox] = view } }
    }

    func invalidate() {
        lock.withLock {
            changes &+= 1
            views = [:]
        }
    }
}
