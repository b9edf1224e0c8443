import BerthAPI
import BerthCore
import BerthFirewall
import BerthNetlink
import BerthStore
import BerthSystem

/// What one network namespace holds, dumped over rtnetlink from inside it.
struct NamespaceDump: Sendable {
    var path: String
    var inode: UInt64
    var links: [Link]
    var addresses: [AddressInfo]
    /// Default routes of the main table (`ip route show default`), by output interface.
    var defaultGateways: [Int: String] = [:]

    /// `ip link` + `ip addr` in `namespace`: the socket is opened on a dedicated thread that entered the
    /// namespace (or in the calling thread's own when `own`), then used from here.
    static func read(_ namespace: NetworkNamespace, own: Bool) throws -> NamespaceDump {
        let connection = try NetlinkConnection(namespace: own ? nil : namespace)
        var dump = NamespaceDump(
            path: namespace.path, inode: try namespace.inode(), links: try connection.links(),
            addresses: try connection.addresses())
        for r in try connection.routes(family: .ipv4, table: .main) where r.destination == nil {
            if let oif = r.outputInterface { dump.defaultGateways[oif] = r.gateway?.description ?? "" }
        }
        return dump
    }

    func interface(_ link: Link, masterNames: [Int: String] = [:]) -> TopologyInterface {
        let mine = addresses.filter { $0.index == link.index }
        let ordered = mine.filter { $0.address.family == .ipv4 } + mine.filter { $0.address.family != .ipv4 }
        return TopologyInterface(
            Name: link.name, Index: link.index, Kind: link.kind?.rawValue, OperState: link.operState.description,
            Up: link.isUp, Carrier: link.hasCarrier, MTU: link.mtu, MAC: link.mac?.description,
            Addresses: ordered.map(\.address.description),
            PeerIndex: link.kind == .veth ? link.parentIndex : nil,
            Master: link.masterIndex.flatMap { masterNames[$0] },
            DefaultGateway: defaultGateways[link.index])
    }
}

extension ContainerEngine: SeeThroughService {
    /// `berth topology`: the host's interfaces, berth's bridges and veth pairs and each running container's
    /// namespace, from netlink dumps taken now; the published ports from the kernel's DNAT maps.
    public func topology(network: String?) async throws -> TopologyReport {
        let nets = try await networks.networks()
        let eps = try await networks.endpoints()
        var only: NetworkRecord?
        if let network { only = try await networks.network(network) }
        let running = try list().filter { $0.state == .running && $0.pid > 0 }.sorted { $0.name < $1.name }
        let hostNamespace = networks.config.hostNamespace
        let hostIsOwn = hostNamespace.path == NetworkNamespace.current.path

        // Which namespace each container's process is in, by inode (the kernel's answer, not the record's).
        var inodeOf: [String: UInt64] = [:]
        var pinOf: [String: String] = [:]
        for c in running {
            let proc = NetworkNamespace.of(pid: Int32(c.pid))
            guard let inode = try? proc.inode() else { continue }
            inodeOf[c.id] = inode
            pinOf[c.id] = !c.sandbox.isEmpty && NetworkNamespace(path: c.sandbox).exists ? c.sandbox : proc.path
        }
        let alive = running.filter { inodeOf[$0.id] != nil }
        // Dump the host and every distinct container namespace, off the actor's thread.
        var distinct: [UInt64: String] = [:]
        for c in alive {
            guard let inode = inodeOf[c.id] else { continue }
            // Prefer the pin berth made; a sharer's /proc path reaches the same namespace.
            if distinct[inode] == nil || !c.sandbox.isEmpty { distinct[inode] = pinOf[c.id] }
        }
        let paths = distinct
        let (host, dumps) = try await DedicatedThread.run { () throws -> (NamespaceDump, [UInt64: NamespaceDump]) in
            let host = try NamespaceDump.read(hostNamespace, own: hostIsOwn)
            var dumps: [UInt64: NamespaceDump] = [:]
            for (inode, path) in paths where inode != host.inode {
                // A container that exits meanwhile is simply left out.
                if let d = try? NamespaceDump.read(NetworkNamespace(path: path), own: false) { dumps[inode] = d }
            }
            return (host, dumps)
        }

        var warnings: [String] = []
        let hostNames = Dictionary(host.links.map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        let bridgeNets = nets.filter { $0.driver == "bridge" && $0.bridge != nil }
        let bridgeNames = Set(bridgeNets.compactMap(\.bridge))
        let bridgeIndexes = Set(host.links.filter { bridgeNames.contains($0.name) }.map(\.index))

        // The owner of a namespace: the container that has its own (the first by name when several claim it).
        func owner(of inode: UInt64) -> ContainerRecord? {
            alive.first { inodeOf[$0.id] == inode && !$0.sandbox.isEmpty } ?? alive.first { inodeOf[$0.id] == inode }
        }

        // Bridges and their veth pairs.
        var bridges: [TopologyBridge] = []
        for n in bridgeNets.sorted(by: { $0.name < $1.name }) {
            if let only, only.id != n.id { continue }
            guard let name = n.bridge, let link = host.links.first(where: { $0.name == name }) else {
                warnings.append(
                    "network \(n.name) is recorded with bridge \(n.bridge ?? "?"), which is not in the kernel")
                continue
            }
            var veths: [TopologyVeth] = []
            for port in host.links.filter({ $0.masterIndex == link.index }).sorted(by: { $0.index < $1.index }) {
                var container: String?
                var inside: String?
                for (inode, d) in dumps {
                    if let peer = d.links.first(where: { $0.index == port.parentIndex && $0.parentIndex == port.index })
                    {
                        container = owner(of: inode)?.name
                        inside = peer.name
                        break
                    }
                }
                veths.append(
                    TopologyVeth(
                        HostName: port.name, HostIndex: port.index, PeerIndex: port.parentIndex, Container: container,
                        ContainerInterface: inside))
            }
            bridges.append(
                TopologyBridge(
                    Network: n.name, NetworkID: n.id, Internal: n.internal, Interface: host.interface(link),
                    Veths: veths))
        }

        // Published ports: the kernel's map elements, tagged `<table>:ep:<12 hex>`.
        var portsOf: [String: [TopologyPort]] = [:]
        if let lister = networks.firewall as? any PublishedPortListing {
            do {
                let table = networks.config.firewallTable
                let listed = try await DedicatedThread.run { try lister.publishedPorts(table: table) }
                let owners = Dictionary(
                    eps.map { ("\(table):ep:\(Identifier.short($0.id))", $0.ownerId) }, uniquingKeysWith: { a, _ in a })
                for p in listed {
                    guard let owner = p.comment.flatMap({ owners[$0] }) else { continue }
                    portsOf[owner, default: []].append(
                        TopologyPort(
                            Proto: p.proto, HostIP: p.hostIP ?? "", HostPort: p.hostPort, ContainerIP: p.containerIP,
                            ContainerPort: p.containerPort))
                }
            } catch {
                warnings.append("published ports could not be read from nftables: \(error)")
            }
        }

        // Containers.
        var containers: [TopologyContainer] = []
        for c in alive {
            guard let inode = inodeOf[c.id] else { continue }
            let mode = (try? spec(of: c).networkMode) ?? ""
            if let only, !Self.belongs(c, to: only, mode: mode, endpoints: eps, inodeOf: inodeOf) { continue }
            var shares: String?
            if inode == host.inode {
                shares = "host"
            } else if let o = owner(of: inode), o.id != c.id {
                shares = o.name
            }
            var interfaces: [TopologyInterface] = []
            if shares == nil, let d = dumps[inode] {
                interfaces = d.links.sorted { $0.index < $1.index }.map { d.interface($0) }
            }
            containers.append(
                TopologyContainer(
                    ID: c.id, Name: c.name, NetworkMode: mode.isEmpty ? "default" : mode, Pid: c.pid,
                    Namespace: TopologyNamespace(Path: pinOf[c.id] ?? "", Inode: inode), SharesNamespaceWith: shares,
                    Interfaces: interfaces,
                    Ports: (portsOf[c.id] ?? []).sorted {
                        ($0.Proto, $0.HostPort, $0.HostIP) < ($1.Proto, $1.HostPort, $1.HostIP)
                    }))
        }

        // The host's own interfaces: neither a berth bridge nor a port of one, nor a carrier probe.
        let uplinks = host.links.filter { l in
            !bridgeNames.contains(l.name) && !(l.masterIndex.map(bridgeIndexes.contains) ?? false)
                && !l.name.hasPrefix(LinuxNetworkKernel.carrierProbePrefix)
        }.sorted { $0.index < $1.index }.map { host.interface($0, masterNames: hostNames) }

        return TopologyReport(
            Host: TopologyNamespace(Path: hostNamespace.path, Inode: host.inode), Uplinks: uplinks, Bridges: bridges,
            Containers: containers, Warnings: warnings)
    }

    /// Whether a container is shown for `--network N`: it has an endpoint on N, or (for `host`) uses the
    /// host's namespace, or shares the namespace of a container that does.
    static func belongs(
        _ c: ContainerRecord, to n: NetworkRecord, mode: String, endpoints: [EndpointRecord],
        inodeOf: [String: UInt64]
    ) -> Bool {
        if endpoints.contains(where: { $0.ownerId == c.id && $0.networkId == n.id }) { return true }
        if n.driver == "host" && mode == "host" { return true }
        if n.driver == "null" && mode == "none" { return true }
        guard let inode = inodeOf[c.id] else { return false }
        return endpoints.contains { ep in ep.networkId == n.id && ep.ownerId != c.id && inodeOf[ep.ownerId] == inode }
    }
}
