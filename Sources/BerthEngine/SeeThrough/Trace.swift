import BerthAPI
import BerthAddressing
import BerthCore
import BerthDNSWire
import BerthFirewall
import BerthNetlink
import BerthStore
import BerthSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `berth trace`: the store says which objects a packet should meet; every step then reads the object
/// itself from the kernel (nftables listing with counters, netlink links and routes, /proc sockets).
extension ContainerEngine: TraceService {
    public func trace(_ ref: String, port: UInt16?, proto: String, from: String, address: String?) async throws
        -> TraceReport
    {
        guard proto == "tcp" || proto == "udp" else {
            throw BerthError.invalid("invalid protocol \"\(proto)\": use tcp or udp")
        }
        var dial: IPv4Address?
        if let address {
            guard let a = IPv4Address(address) else {
                throw BerthError.invalid(
                    "invalid address \"\(address)\": give the host's IPv4 address the client dials")
            }
            dial = a
        }
        let target = try container(ref)
        let nets = try await networks.networks()
        let eps = try await networks.endpoints()
        let maps = try await networks.portMappings()
        var origin: TracePlan.Origin = .host
        if from.isEmpty || from == "host" {
            origin = .host
        } else if let a = IPv4Address(from) {
            origin = .external(a)
        } else {
            let s = try container(from)
            origin = .container(
                s, await networks.dnsView(sandbox: s.sandbox),
                resolvConf: (try? FileSystem.readText(files(s.id).resolvConf)) ?? "")
        }
        let plan = TracePlan(
            target: target, networkMode: (try? spec(of: target).networkMode) ?? "", origin: origin, port: port,
            proto: proto, dial: dial, networks: nets, endpoints: eps, mappings: maps,
            table: networks.config.firewallTable, hostNamespace: networks.config.hostNamespace,
            firewall: networks.firewall)
        return try await DedicatedThread.run { plan.walk() }
    }
}

/// Everything a trace needs from the store, taken in one go; `walk` reads the kernel on a dedicated thread.
struct TracePlan: Sendable {
    enum Origin: Sendable {
        case host
        case external(IPv4Address)
        case container(ContainerRecord, DNSView, resolvConf: String)
    }

    var target: ContainerRecord
    var networkMode: String
    var origin: Origin
    var port: UInt16?
    var proto: String
    var dial: IPv4Address?
    var networks: [NetworkRecord]
    var endpoints: [EndpointRecord]
    var mappings: [PortMappingRecord]
    var table: String
    var hostNamespace: NetworkNamespace
    var firewall: any FirewallDriver

    func walk() -> TraceReport {
        var t = TraceWalk(plan: self)
        t.run()
        return TraceReport(container: target.name, from: t.fromText, destination: t.destination, steps: t.steps)
    }
}

/// One walk: appends steps until one is broken.
struct TraceWalk {
    let plan: TracePlan
    var steps: [TraceStep] = []
    var fromText = "host"
    var destination = ""
    var broken = false
    var ruleset: LiveRuleset?
    var hostLinks: [Link] = []

    init(plan: TracePlan) { self.plan = plan }

    mutating func ok(_ step: String, _ object: String, _ detail: String, packets: UInt64? = nil) {
        steps.append(TraceStep(step: step, object: object, status: .ok, detail: detail, packets: packets))
    }

    mutating func fail(_ step: String, _ object: String, _ detail: String, fix: String) {
        steps.append(TraceStep(step: step, object: object, status: .broken, detail: detail, fix: fix))
        broken = true
    }

    var t: ContainerRecord { plan.target }
    var targetEndpoints: [EndpointRecord] {
        plan.endpoints.filter { $0.ownerId == t.id || (!t.sandbox.isEmpty && $0.sandbox == t.sandbox) }
    }
    func network(_ id: String) -> NetworkRecord? { plan.networks.first { $0.id == id } }
    /// The comment tag of a network's rules in this instance's table.
    func tag(_ networkId: String) -> String { FirewallState(table: plan.table).tag(network: networkId) }

    mutating func run() {
        switch plan.origin {
        case .host: fromText = "host"
        case .external(let a): fromText = "address \(a)"
        case .container(let s, _, _): fromText = "container \(s.name)"
        }
        destination = "\(t.name):\(plan.port.map(String.init) ?? "?")/\(plan.proto)"
        if case .container(let s, _, _) = plan.origin {
            guard running(s, role: "source") else { return }
        }
        guard running(t, role: "container") else { return }
        if plan.networkMode == "none" {
            fail(
                "network", "network mode none",
                "\(t.name) runs with --network none: it has only lo, nothing can reach it",
                fix: "recreate \(t.name) on a network (berth run --network NAME …)")
            return
        }
        hostLinks = (try? hostConnection().links()) ?? []
        ruleset = try? (plan.firewall as? NftablesDriver)?.liveRuleset(table: plan.table)
        guard let port = plan.port ?? defaultPort() else {
            fail(
                "port", t.name,
                "\(t.name) publishes no port and nothing listens in its namespace, so there is no port to trace",
                fix: "give the port: berth trace \(t.name) PORT[/tcp|udp]")
            return
        }
        destination = "\(t.name):\(port)/\(plan.proto)"
        if plan.networkMode == "host" {
            ok("network", "host network namespace", "\(t.name) shares the host's network namespace: no bridge, no NAT")
            listener(port: port, address: nil)
            return
        }
        switch plan.origin {
        case .host, .external: viaHost(port: port)
        case .container(let s, let view, let resolv): fromContainer(s, view: view, resolvConf: resolv, port: port)
        }
    }

    // MARK: steps

    mutating func running(_ c: ContainerRecord, role: String) -> Bool {
        let alive = c.state == .running && c.pid > 0 && kill(Int32(c.pid), 0) == 0
        if !alive {
            fail(
                role, "container \(c.name)",
                "\(c.name) is \(c.state == .running ? "not running (its process is gone)" : c.state.rawValue): there is no process and no network namespace to reach",
                fix: "berth start \(c.name)")
            return false
        }
        let netns = NetworkNamespace.of(pid: Int32(c.pid))
        let inode = (try? netns.inode()).map { " net:[\($0)]" } ?? ""
        ok(
            role, "container \(c.name)",
            "\(c.name) is running, pid \(c.pid), network namespace \(c.sandbox.isEmpty ? "of pid \(c.pid)" : c.sandbox)\(inode)"
        )
        return true
    }

    /// The port when none was given: the first published one, else the first listening socket.
    func defaultPort() -> UInt16? {
        let eps = Set(targetEndpoints.map(\.id))
        if let m = plan.mappings.first(where: { eps.contains($0.endpointId) && $0.proto == plan.proto }) {
            return UInt16(exactly: m.containerPort)
        }
        return ProcSockets.listening(pid: t.pid, proto: plan.proto).first { $0.address != "127.0.0.11" }?.port
    }

    /// host → published port → container, or an outside address → published port → container.
    mutating func viaHost(port: UInt16) {
        let eps = targetEndpoints
        let external: IPv4Address? = if case .external(let a) = plan.origin { a } else { nil }
        let dial = plan.dial ?? external.flatMap(localAddress(toward:)) ?? IPv4Address(0x7f00_0001)
        let epIds = Set(eps.map(\.id))
        let all = plan.mappings.filter {
            epIds.contains($0.endpointId) && $0.containerPort == Int(port) && $0.proto == plan.proto
        }
        // Internal networks have no published ports and no way out, whatever -p said.
        let internalNets = eps.compactMap { network($0.networkId) }.filter(\.internal)
        let open = all.filter { m in network(m.networkId)?.internal == false }
        if open.isEmpty, let n = internalNets.first {
            fail(
                "publish", "network \(n.name)",
                "\(t.name) is on the internal network \(n.name): berth publishes no ports there and its members have no way in or out",
                fix:
                    "connect \(t.name) to a non-internal network (berth network connect NET \(t.name)) and publish there, or reach it from a container on \(n.name)"
            )
            return
        }
        guard !open.isEmpty else {
            let others = plan.mappings.filter { epIds.contains($0.endpointId) }.map {
                "\($0.containerPort)/\($0.proto)"
            }
            fail(
                "publish", "port \(port)/\(plan.proto)",
                "port \(port)/\(plan.proto) of \(t.name) is not published\(others.isEmpty ? "" : " (published: \(Set(others).sorted().joined(separator: ", ")))")",
                fix:
                    "recreate \(t.name) with -p HOSTPORT:\(port)\(plan.proto == "udp" ? "/udp" : "") (berth run -p 8080:\(port) …)"
            )
            return
        }
        let matching = open.filter { $0.hostIP.isEmpty || $0.hostIP == "0.0.0.0" || $0.hostIP == dial.description }
        guard
            let m = matching.sorted(by: {
                !$0.hostIP.isEmpty && $0.hostIP != "0.0.0.0" && ($1.hostIP.isEmpty || $1.hostIP == "0.0.0.0")
            }).first
        else {
            let publishedOn = open.map { "\($0.hostIP):\($0.hostPort)" }.joined(separator: ", ")
            fail(
                "publish", "port \(port)/\(plan.proto)",
                "port \(port)/\(plan.proto) of \(t.name) is published on \(publishedOn) only, not on \(dial)",
                fix:
                    "dial \(open[0].hostIP):\(open[0].hostPort) (berth trace \(t.name) \(port) --address \(open[0].hostIP)), or publish on every address (-p \(open[0].hostPort):\(port))"
            )
            return
        }
        destination = "\(dial):\(m.hostPort)/\(plan.proto)"
        guard let ep = eps.first(where: { $0.id == m.endpointId }), let n = network(ep.networkId), let bridge = n.bridge
        else {
            fail(
                "publish", "port \(port)/\(plan.proto)", "the mapping's endpoint or network is gone from berth's store",
                fix: "berth doctor --fix")
            return
        }
        let specific = !(m.hostIP.isEmpty || m.hostIP == "0.0.0.0")
        let map = "pub-\(plan.proto)\(specific ? "-addr" : "")"
        let key = specific ? "\(m.hostIP) . \(m.hostPort)" : "\(m.hostPort)"
        let value = "\(m.containerIP) . \(m.containerPort)"
        guard let rs = ruleset else {
            fail(
                "publish", "table ip \(plan.table)", "berth's nftables table ip \(plan.table) cannot be listed",
                fix: "berth doctor (is nftables installed?); berth doctor --fix rewrites the table")
            return
        }
        guard let element = rs.elements.first(where: { $0.map == map && $0.key == key }), element.value == value else {
            fail(
                "publish", "map \(map) of table ip \(plan.table)",
                "the mapping \(key) : \(value) is in berth's store but not in the kernel's map \(map)",
                fix: "berth doctor --fix (rewrites berth's table from its store)")
            return
        }
        ok(
            "publish", "map \(map) of table ip \(plan.table)",
            "\(specific ? m.hostIP : "any local address"):\(m.hostPort) → \(value.replacingOccurrences(of: " . ", with: ":")) (element tagged \(element.comment ?? "-"))"
        )

        let hook = external == nil ? "output" : "prerouting"
        let order = ["tcp-addr", "tcp", "udp-addr", "udp"]
        let published = rs.rules.filter { $0.chain == "published" }
        let index = order.firstIndex(of: "\(plan.proto)\(specific ? "-addr" : "")") ?? 0
        guard rs.chains.contains(hook), index < published.count else {
            fail(
                "dnat", "chain \(hook) of table ip \(plan.table)", "the DNAT rules of berth's table are missing",
                fix: "berth doctor --fix (rewrites berth's table)")
            return
        }
        let dnat = published[index]
        ok(
            "dnat", "chain \(hook) → published of table ip \(plan.table)",
            "fib daddr type local jump published; dnat ip to \(specific ? "ip daddr . " : "")\(plan.proto) dport map @\(map) (rule handle \(dnat.handle): \(connections(dnat.packets)) through this map so far)",
            packets: dnat.packets)

        if external != nil {
            let forwarding = try? plan.hostNamespace.runHere { try Sysctl.read("net.ipv4.ip_forward") }
            guard forwarding == "1" else {
                fail(
                    "ip_forward", "net.ipv4.ip_forward",
                    "net.ipv4.ip_forward is \(forwarding ?? "unreadable"): the host does not route packets from outside into \(bridge)",
                    fix: "sysctl -w net.ipv4.ip_forward=1 (berth doctor --fix sets it)")
                return
            }
            ok(
                "ip_forward", "net.ipv4.ip_forward",
                "net.ipv4.ip_forward is 1: the host routes between its interfaces and \(bridge)")
        } else if dial.isLoopback {
            let path = Sysctl.path(components: ["net", "ipv4", "conf", bridge, "route_localnet"])
            let v = try? plan.hostNamespace.runHere { try Sysctl.read(atPath: path) }
            guard v == "1" else {
                fail(
                    "route_localnet", "net.ipv4.conf.\(bridge).route_localnet",
                    "route_localnet is \(v ?? "unreadable") on \(bridge): the kernel drops packets from 127.0.0.1 DNAT'ed onto the bridge",
                    fix: "sysctl -w net.ipv4.conf.\(bridge).route_localnet=1 (berth doctor --fix sets it)")
                return
            }
            ok(
                "route_localnet", "net.ipv4.conf.\(bridge).route_localnet",
                "route_localnet is 1 on \(bridge): 127.0.0.1 may be DNAT'ed onto the bridge")
        }
        guard let containerIP = IPv4Address(m.containerIP), route(to: containerIP, bridge: bridge) else { return }
        if external != nil {
            guard forwardFilter(network: n, bridge: bridge) else { return }
        }
        if dial.isLoopback {
            let masq = rs.rules.filter { $0.chain == "postrouting" && $0.comment == tag(n.id) }
            if masq.count >= 3 {
                ok(
                    "masquerade", "chain postrouting of table ip \(plan.table)",
                    "oifname \"\(bridge)\" ip saddr 127.0.0.0/8 ct status dnat masquerade: the source becomes \(n.gateway ?? "the bridge address") (\(connections(masq[2].packets)) so far)",
                    packets: masq[2].packets)
            } else {
                fail(
                    "masquerade", "chain postrouting of table ip \(plan.table)",
                    "the masquerade rules of \(n.name) are missing", fix: "berth doctor --fix (rewrites berth's table)")
                return
            }
        }
        guard bridgeStep(bridge) else { return }
        guard vethStep(ep, bridge: bridge) else { return }
        guard sandboxStep(ep) else { return }
        listener(port: port, address: containerIP)
    }

    /// container → container: one shared network (bridged, by name through berth's resolver), or isolation.
    mutating func fromContainer(_ s: ContainerRecord, view: DNSView, resolvConf: String, port: UInt16) {
        let mine = plan.endpoints.filter { $0.ownerId == s.id || (!s.sandbox.isEmpty && $0.sandbox == s.sandbox) }
        let theirs = targetEndpoints
        if mine.isEmpty {
            fail(
                "source", "container \(s.name)",
                "\(s.name) has no endpoint on a berth network (it uses the host's namespace, none, or another container's)",
                fix: "for a host-network container trace --from host; for container:X trace --from X")
            return
        }
        guard
            let pair = theirs.lazy.compactMap({ te in
                mine.first(where: { $0.networkId == te.networkId }).map { ($0, te) }
            }).first,
            let n = network(pair.1.networkId), let bridge = n.bridge
        else {
            let srcNets = mine.compactMap { network($0.networkId)?.name }
            let dstNets = theirs.compactMap { network($0.networkId)?.name }
            var counter = ""
            var packets: UInt64?
            if let first = mine.first,
                let rules = ruleset?.rules.filter({
                    $0.chain == "from-\(Identifier.short(first.networkId))" && $0.packets != nil
                }), let drop = rules.first
            {
                packets = drop.packets
                counter =
                    " (chain from-\(Identifier.short(first.networkId)) drop rule: \(drop.packets ?? 0) packet\(drop.packets == 1 ? "" : "s") dropped so far)"
            }
            let epIds = Set(theirs.map(\.id))
            let published = plan.mappings.first {
                epIds.contains($0.endpointId) && $0.containerPort == Int(port) && $0.proto == plan.proto
            }
            let gw = mine.first.flatMap { network($0.networkId)?.gateway }
            var fix = "connect them: berth network connect \(dstNets.first ?? "NET") \(s.name)"
            if let published, let gw {
                fix += "; or dial the published port through the host: \(gw):\(published.hostPort)"
            }
            steps.append(
                TraceStep(
                    step: "isolation",
                    object: "networks \(srcNets.joined(separator: ",")) → \(dstNets.joined(separator: ","))",
                    status: .broken,
                    detail:
                        "\(s.name) (on \(srcNets.joined(separator: ", "))) and \(t.name) (on \(dstNets.joined(separator: ", "))) share no network: berth drops traffic between networks\(counter)",
                    fix: fix, packets: packets))
            broken = true
            return
        }
        let (src, dst) = pair
        destination = "\(t.name):\(port)/\(plan.proto)"
        // Name resolution: berth's resolver answers on user-defined networks only.
        if n.predefined {
            fail(
                "dns", "network \(n.name)",
                "\(s.name) and \(t.name) share only the default bridge, where container names do not resolve (dial \(dst.ipv4 ?? "its address") instead)",
                fix:
                    "put both on a user-defined network: berth network create NET; berth network connect NET \(s.name); berth network connect NET \(t.name)"
            )
            return
        }
        let answer = view.records.first {
            $0.network == n.id && $0.names.contains { $0.labels.joined(separator: ".") == t.name }
        }
        guard resolvConf.contains("127.0.0.11"), let answer else {
            fail(
                "dns", "resolver 127.0.0.11 in \(s.name)",
                "berth's resolver in \(s.name) does not answer \(t.name)\(resolvConf.contains("127.0.0.11") ? "" : " (its resolv.conf does not point at 127.0.0.11)")",
                fix:
                    "berth dns \(s.name) shows what it answers; reconnecting (berth network disconnect/connect \(n.name) \(s.name)) registers the names again"
            )
            return
        }
        ok(
            "dns", "resolver 127.0.0.11 in \(s.name)",
            "\(t.name) → \(answer.address) (network \(n.name), answered by berth's embedded resolver)")
        guard sandboxStep(src, role: "source eth0") else { return }
        guard vethStep(src, bridge: bridge, role: "source veth") else { return }
        guard bridgeStep(bridge) else { return }
        ok(
            "forward", "bridge \(bridge)",
            "\(s.name) and \(t.name) share network \(n.name): the bridge switches the frame, no NAT and no routing\(n.internal ? " (internal network: members may talk to each other)" : "")"
        )
        guard vethStep(dst, bridge: bridge) else { return }
        guard sandboxStep(dst) else { return }
        listener(port: port, address: IPv4Address(dst.ipv4 ?? ""))
    }

    /// The host's route to the container's address must go out of its bridge.
    mutating func route(to ip: IPv4Address, bridge: String) -> Bool {
        let routes = (try? hostConnection().routes(family: .ipv4, table: .main)) ?? []
        let best = routes.filter { r in (r.destination?.ipv4 ?? IPv4Network(.any, prefixLength: 0)).contains(ip) }
            .max { ($0.destination?.ipv4?.prefixLength ?? 0) < ($1.destination?.ipv4?.prefixLength ?? 0) }
        let name = best?.outputInterface.flatMap { i in hostLinks.first { $0.index == i }?.name }
        guard let best, name == bridge else {
            // A bridge that is down or gone loses its routes: name the bridge, the cause, not the route.
            if hostLinks.first(where: { $0.name == bridge })?.isUp != true { return bridgeStep(bridge) }
            fail(
                "route", "route to \(ip)",
                best.map {
                    "the host routes \(ip) via \(name ?? "?") (route \($0.destination?.description ?? "default")), not via \(bridge): another route overlaps the network"
                }
                    ?? "the host has no route to \(ip)",
                fix: best == nil
                    ? "berth doctor --fix (re-adds the bridge address and its route)"
                    : "remove the overlapping route, or recreate the network with another --subnet")
            return false
        }
        ok(
            "route", "route \(best.destination?.description ?? "default") dev \(bridge)",
            "\(ip) is routed out of \(bridge)")
        return true
    }

    /// Routed (not local) traffic meets berth's forward chain and any other firewall's FORWARD chain.
    mutating func forwardFilter(network n: NetworkRecord, bridge: String) -> Bool {
        guard let driver = plan.firewall as? NftablesDriver,
            let host = try? plan.hostNamespace.runHere({ try driver.hostForwardChain() })
        else {
            ok(
                "forward", "chain forward of table ip \(plan.table)",
                "to-\(Identifier.short(n.id)): ct status dnat accept")
            return true
        }
        if host.policyDrop {
            let ours = host.rules.filter { $0.comment == tag(n.id) }
            guard !ours.isEmpty else {
                fail(
                    "forward", "chain FORWARD of table ip filter",
                    "the host's ip filter FORWARD chain (another firewall's, such as Docker's) has policy drop and no berth accept rule for \(bridge): forwarded packets are dropped there",
                    fix: "berth doctor --fix (adds berth's narrow accept rules for its bridges), or restart berthd")
                return false
            }
            ok(
                "forward", "chain FORWARD of table ip filter",
                "policy drop, but berth's accept rules for \(bridge) are there (\(ours.count) rules tagged \(tag(n.id)))"
            )
        }
        ok(
            "forward", "chain forward of table ip \(plan.table)",
            "to-\(Identifier.short(n.id)): ct status dnat accept (a published port)")
        return true
    }

    mutating func bridgeStep(_ bridge: String) -> Bool {
        guard let b = hostLinks.first(where: { $0.name == bridge }) else {
            fail(
                "bridge", "bridge \(bridge)", "the bridge \(bridge) does not exist in the kernel",
                fix: "berth doctor --fix (recreates missing bridges)")
            return false
        }
        guard b.isUp else {
            fail(
                "bridge", "bridge \(bridge)", "the bridge \(bridge) is down (and the kernel removed its routes)",
                fix: "ip link set \(bridge) up")
            return false
        }
        let addrs = ((try? hostConnection().addresses(on: .index(b.index), family: .ipv4)) ?? []).map(
            \.address.description)
        ok(
            "bridge", "bridge \(bridge)",
            "\(bridge) (index \(b.index)) is up\(b.hasCarrier ? ", carrier" : ", no carrier"), \(addrs.joined(separator: ", "))"
        )
        return true
    }

    mutating func vethStep(_ ep: EndpointRecord, bridge: String, role: String = "veth") -> Bool {
        guard let v = hostLinks.first(where: { $0.name == ep.hostInterface }) else {
            fail(
                role, "veth \(ep.hostInterface)",
                "the host end \(ep.hostInterface) of \(ep.ownerName)'s veth pair is gone",
                fix: "berth restart \(ep.ownerName) (makes the pair again)")
            return false
        }
        let master = hostLinks.first { $0.index == v.masterIndex }?.name
        guard master == bridge else {
            fail(
                role, "veth \(ep.hostInterface)",
                "\(ep.hostInterface) is enslaved to \(master ?? "nothing"), not to \(bridge)",
                fix: "ip link set \(ep.hostInterface) master \(bridge)")
            return false
        }
        guard v.isUp else {
            fail(
                role, "veth \(ep.hostInterface)",
                "\(ep.hostInterface) (the host end of \(ep.ownerName)'s veth pair) is down",
                fix: "ip link set \(ep.hostInterface) up")
            return false
        }
        ok(
            role, "veth \(ep.hostInterface)",
            "\(ep.hostInterface)@if\(v.parentIndex.map(String.init) ?? "?") (index \(v.index)) is up, on \(bridge)")
        return true
    }

    /// The container's end of the pair, read inside its namespace.
    mutating func sandboxStep(_ ep: EndpointRecord, role: String = "eth0") -> Bool {
        let object = "\(ep.sandboxInterface) in \(ep.ownerName)"
        guard let c = try? NetlinkConnection(namespace: NetworkNamespace(path: ep.sandbox)),
            let link = try? c.link(named: ep.sandboxInterface)
        else {
            fail(
                role, object, "\(ep.ownerName) has no \(ep.sandboxInterface) in its namespace \(ep.sandbox)",
                fix: "berth restart \(ep.ownerName)")
            return false
        }
        let addrs = ((try? c.addresses(on: .index(link.index), family: .ipv4)) ?? []).compactMap(\.address.ipv4)
        guard link.isUp else {
            fail(
                role, object, "\(ep.sandboxInterface) in \(ep.ownerName) is down",
                fix:
                    "berth exec \(ep.ownerName) ip link set \(ep.sandboxInterface) up (or berth restart \(ep.ownerName))"
            )
            return false
        }
        guard let want = ep.ipv4, addrs.contains(where: { $0.address.description == want }) else {
            fail(
                role, object,
                "\(ep.sandboxInterface) in \(ep.ownerName) lacks its address \(ep.ipv4 ?? "?") (has \(addrs.map(\.description).joined(separator: ", ")))",
                fix: "berth restart \(ep.ownerName)")
            return false
        }
        ok(
            role, object,
            "\(ep.sandboxInterface)@if\(link.parentIndex.map(String.init) ?? "?") (index \(link.index)) is up with \(addrs.map(\.description).joined(separator: ", "))"
        )
        return true
    }

    /// A socket listening on the port inside the container's namespace, and the process that owns it.
    mutating func listener(port: UInt16, address: IPv4Address?) {
        let all = ProcSockets.listening(pid: t.pid, proto: plan.proto)
        let onPort = all.filter { $0.port == port }
        let object = "\(plan.proto) sockets in \(t.name)'s namespace"
        guard !onPort.isEmpty else {
            // berth's own resolver sockets (127.0.0.11, see NetworkEngine+DNS) are not the user's servers.
            let others = Set(all.filter { $0.address != "127.0.0.11" }.map { "\($0.port)" }).sorted {
                (Int($0) ?? 0) < (Int($1) ?? 0)
            }
            fail(
                "listener", object,
                "nothing listens on \(port)/\(plan.proto) in \(t.name)\(others.isEmpty ? "" : " (listening: \(others.joined(separator: ", ")))")",
                fix: "start the server inside \(t.name) on port \(port), or trace the port it uses")
            return
        }
        let reachable = onPort.filter { s in
            s.address == "0.0.0.0" || s.address == "::" || address.map { s.address == $0.description } ?? !s.isLoopback
        }
        guard let s = reachable.first else {
            let bound = onPort.map(\.endpoint).joined(separator: ", ")
            fail(
                "listener", object,
                "the server in \(t.name) listens on \(bound) only: packets arriving on eth0 for \(address?.description ?? "its address") do not reach it",
                fix: "make the server listen on 0.0.0.0 (all addresses) inside \(t.name)")
            return
        }
        let owner = ProcSockets.owner(inode: s.inode, near: Int32(t.pid))
        ok(
            "listener", object,
            "\(s.endpoint) \(plan.proto == "tcp" ? "LISTEN" : "bound"), socket inode \(s.inode)\(owner.map { ", process \($0.name) (pid \($0.pid))" } ?? "")"
        )
    }

    // MARK: helpers

    /// NAT rules see only the first packet of a connection, so their counters count connections.
    func connections(_ n: UInt64?) -> String { "\(n ?? 0) connection\(n == 1 ? "" : "s")" }

    func hostConnection() throws -> NetlinkConnection {
        try NetlinkConnection(
            namespace: plan.hostNamespace.path == NetworkNamespace.current.path ? nil : plan.hostNamespace)
    }

    /// The host address a client at `a` would dial: one on the interface whose subnet holds `a`.
    func localAddress(toward a: IPv4Address) -> IPv4Address? {
        let addrs = ((try? hostConnection().addresses(family: .ipv4)) ?? []).compactMap(\.address.ipv4)
        return addrs.first { $0.network.contains(a) }?.address
    }
}

/// ProcSockets of a namespace, read from /proc/<pid>/net/{tcp,tcp6,udp,udp6} (the namespace of `pid`).
enum ProcSockets {
    struct Entry: Equatable {
        var address: String
        var port: UInt16
        var inode: UInt64
        var isLoopback: Bool { address.hasPrefix("127.") || address == "::1" }
        /// `0.0.0.0:80`, `[::]:80`.
        var endpoint: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }
    }

    static func listening(pid: Int, proto: String) -> [Entry] {
        var out: [Entry] = []
        for file in [proto, proto + "6"] {
            guard let text = try? FileSystem.readText("/proc/\(pid)/net/\(file)") else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 10 else { continue }
                // tcp: 0A = LISTEN; udp: 07 = unconnected (bound, receiving from anyone).
                guard f[3] == (proto == "tcp" ? "0A" : "07") else { continue }
                let local = f[1].split(separator: ":")
                guard local.count == 2, let port = UInt16(local[1], radix: 16), let inode = UInt64(f[9]) else {
                    continue
                }
                out.append(Entry(address: decode(String(local[0])), port: port, inode: inode))
            }
        }
        return out
    }

    /// /proc's hex address: IPv4 as one host-order word; IPv6 as four host-order words.
    static func decode(_ hex: String) -> String {
        func word(_ s: Substring) -> [UInt8] {
            guard let v = UInt32(s, radix: 16) else { return [0, 0, 0, 0] }
            return [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
        }
        let chars = Array(hex)
        if chars.count == 8 { return word(Substring(hex)).map(String.init).joined(separator: ".") }
        guard chars.count == 32 else { return hex }
        let bytes = stride(from: 0, to: 32, by: 8).flatMap { word(Substring(String(chars[$0..<$0 + 8]))) }
        if bytes.allSatisfy({ $0 == 0 }) { return "::" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "::1" }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    /// The process holding the socket `inode`: /proc/*/fd entries reading `socket:[inode]`, among the
    /// processes in the same network namespace as `pid`.
    static func owner(inode: UInt64, near pid: Int32) -> (pid: Int32, name: String)? {
        let netns = try? NetworkNamespace.of(pid: pid).inode()
        let needle = "socket:[\(inode)]"
        for entry in FileSystem.listDirectory("/proc") {
            guard let p = Int32(entry) else { continue }
            if let netns, (try? NetworkNamespace.of(pid: p).inode()) != netns { continue }
            for fd in FileSystem.listDirectory("/proc/\(p)/fd")
            where (try? FileSystem.readLink("/proc/\(p)/fd/\(fd)")) == needle {
                let name = ((try? FileSystem.readText("/proc/\(p)/comm")) ?? "?").trimmingCharacters(
                    in: .whitespacesAndNewlines)
                return (p, name)
            }
        }
        return nil
    }
}
