import BerthAddressing
import BerthCore
import BerthDNS
import BerthDNSWire
import BerthStore
import BerthSystem
import Foundation

extension NetworkEngine {
    /// Starts the resolver in `sandbox` if it is not running there yet. Its answers come from
    /// `dnsView(sandbox:)`, cached until the next change (`DNSViewCache`), so connects, disconnects
    /// and removals show at once. (`connect` builds the new sandbox's view when it is done; after a
    /// restart each view is built by its sandbox's first query.)
    func ensureDNS(sandbox: String) async throws {
        guard let dns, dnsListeners[sandbox] == nil else { return }
        let views = EngineDNSViews(sandbox: sandbox, cache: dnsCache, engine: self)
        let listener = try await dns.serve(sandbox: NetworkNamespace(path: sandbox), views: views)
        dnsListeners[sandbox] = listener
    }

    /// After names or addresses changed: forgets every view, and builds the one of `sandbox` (the
    /// container just connected) again, so its first queries are answered on the fast path. The
    /// other sandboxes' views are built by their next query, once each (`DNSViewCache`): building
    /// them all here would cost every connect a view per running resolver, quadratic in containers.
    func refreshDNSViews(for sandbox: String) {
        dnsCache.invalidate()
        guard dnsListeners[sandbox] != nil else { return }
        let generation = dnsCache.generation
        dnsCache.store(dnsView(sandbox: sandbox), for: sandbox, ifGeneration: generation)
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
    func releaseDNSIfUnused(sandbox: String, sandboxGoing: Bool = false) async {
        guard let dns, let listener = dnsListeners[sandbox] else { return }
        let predefined = Set(((try? networks()) ?? []).filter(\.predefined).map(\.id))
        let remaining = ((try? store.read { tx in try tx.endpoints(sandbox: sandbox) }) ?? []).filter {
            !predefined.contains($0.networkId)
        }
        guard remaining.isEmpty else { return }
        dnsListeners[sandbox] = nil
        await dns.stop(listener, sandboxGoing: sandboxGoing)
    }

    /// What a sandbox's resolver may answer: the names of endpoints on the user-defined networks the
    /// sandbox is on (container name, aliases, 12-hex short id), and those networks' gateways.
    public func dnsView(sandbox: String) -> DNSView {
        guard let nets = try? networks() else { return DNSView(askerNetworks: [], records: []) }
        let user = Dictionary(uniqueKeysWithValues: nets.filter { !$0.predefined }.map { ($0.id, $0) })
        // The sandbox's own endpoints, then the endpoints of only the networks it is on.
        let userIds = Set(user.keys)
        guard
            let (mine, eps) = try? store.read({ [sandbox] tx -> ([String], [EndpointRecord]) in
                let mine = try tx.endpoints(sandbox: sandbox).map(\.networkId).filter { userIds.contains($0) }
                return (mine, try mine.flatMap { try tx.endpoints(network: $0) })
            })
        else { return DNSView(askerNetworks: [], records: []) }
        var records: [DNSEndpointRecord] = []
        for ep in eps {
            guard let ip = ep.ipv4.flatMap({ IPv4Address($0) }) else { continue }
            let names = ([ep.ownerName, Identifier.short(ep.ownerId)] + ep.aliases).compactMap { try? DNSName($0) }
            records.append(DNSEndpointRecord(network: ep.networkId, names: names, address: ip))
        }
        var gateways: [String: IPv4Address] = [:]
        for id in mine { if let g = user[id]?.gateway.flatMap({ IPv4Address($0) }) { gateways[id] = g } }
        return DNSView(askerNetworks: mine, records: records, gateways: gateways, upstreams: dnsServers[sandbox] ?? [])
    }
}

/// One sandbox's views for its resolver: the cached one, else built by the engine (once, however
/// many queries ask meanwhile).
struct EngineDNSViews: DNSViewSource {
    let sandbox: String
    let cache: DNSViewCache
    weak var engine: NetworkEngine?

    func cached() -> DNSView? { cache.view(sandbox) }

    func build() async -> DNSView {
        await cache.view(sandbox) { [sandbox, weak engine = self.engine] in
            guard let engine else { return DNSView(askerNetworks: [], records: []) }
            return await engine.dnsView(sandbox: sandbox)
        }
    }
}

/// The resolvers' views, one per sandbox, built from the store once and reused until anything that
/// names or addresses endpoints changes (connect, disconnect, network create/remove): building a
/// view reads every network and endpoint, far too much per query. Guarded by a lock so queries
/// never wait for the engine actor. A view built while a change happened is not kept (generation).
final class DNSViewCache: @unchecked Sendable {
    private let lock = NSLock()
    private var views: [String: DNSView] = [:]
    /// Builds under way, each with the generation it started in: queries that miss share one build
    /// instead of each hopping to the engine; one started before a change is not shared after it.
    private var building: [String: (generation: UInt64, task: Task<DNSView, Never>)] = [:]
    private var changes: UInt64 = 0

    var generation: UInt64 { lock.withLock { changes } }

    func view(_ sandbox: String) -> DNSView? { lock.withLock { views[sandbox] } }

    /// The cached view of `sandbox`, else the one `build` makes (kept if nothing changed meanwhile).
    func view(_ sandbox: String, building build: @escaping @Sendable () async -> DNSView) async -> DNSView {
        let (cached, task, generation) = lock.withLock { () -> (DNSView?, Task<DNSView, Never>?, UInt64) in
            if let view = views[sandbox] { return (view, nil, changes) }
            if let b = building[sandbox], b.generation == changes { return (nil, b.task, changes) }
            let task = Task { await build() }
            building[sandbox] = (changes, task)
            return (nil, task, changes)
        }
        if let cached { return cached }
        guard let task else { return await build() }
        let view = await task.value
        lock.withLock {
            if changes == generation { views[sandbox] = view }
            if let b = building[sandbox], b.generation == generation { building[sandbox] = nil }
        }
        return view
    }

    func store(_ view: DNSView, for sandbox: String, ifGeneration generation: UInt64) {
        lock.withLock { if changes == generation { views[sandbox] = view } }
    }

    func invalidate() {
        lock.withLock {
            changes &+= 1
            views = [:]
            building = [:]
        }
    }
}
