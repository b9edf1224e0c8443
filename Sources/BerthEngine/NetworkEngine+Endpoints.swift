import BerthAddressing
import BerthCore
import BerthFirewall
import BerthIPAM
import BerthStore
import BerthSystem

extension NetworkEngine {
    /// Joins a sandbox to a network: address from IPAM, veth pair with its peer made directly in the
    /// sandbox, default route, published ports (reserved on the host, then DNAT rules). Everything is
    /// recorded first and undone on failure.
    public func connect(_ request: EndpointRequest) async throws -> EndpointRecord {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { refreshDNSViews(for: request.sandbox) }
        let n = try network(request.network)
        guard n.driver == "bridge", let bridge = n.bridge, n.state == .ready else {
            throw BerthError.invalid("network \(n.name) uses the \(n.driver) driver and has no endpoints to connect to")
        }
        let plan = try addressingPlan(of: n)
        let sandboxIf = try InterfaceName(validating: request.sandboxInterface)
        for alias in request.aliases { try ObjectName.validate(alias, kind: "network alias") }
        if try store.read({ [n] tx in try tx.endpoint(network: n.id, owner: request.ownerId) }) != nil {
            throw BerthError.conflict("\(request.ownerName) is already connected to network \(n.name)")
        }
        guard NetworkNamespace(path: request.sandbox).exists else {
            throw BerthError.notFound("sandbox \(request.sandbox) is not a network namespace")
        }
        var mac: MACAddress?
        if let m = request.mac {
            guard let parsed = MACAddress(m), !parsed.isMulticast else {
                throw BerthError.invalid("invalid MAC address \"\(m)\": expected a unicast address like 02:42:ac:11:00:02")
            }
            mac = parsed
        }
        var wanted: IPv4Address?
        if let ip = request.ipv4 {
            guard let a = IPv4Address(ip) else {
                throw BerthError.invalid("invalid IPv4 address \"\(ip)\"")
            }
            wanted = a
        }
        try validatePorts(request.ports)

        let id = Identifier.random()
        let hostIf = "veth" + String(id.prefix(7))
        let rollback = Rollback()
        do {
            // 1. Intent: the address and the endpoint record, in one transaction.
            let address = try allocateAddress(network: n, plan: plan, specific: wanted, owner: id)
            let chosenMAC = mac ?? MACAddress.derived(from: address)
            var ep = EndpointRecord(
                id: id, networkId: n.id, ownerId: request.ownerId, ownerName: request.ownerName,
                sandbox: request.sandbox, hostInterface: hostIf, sandboxInterface: sandboxIf.value,
                ipv4: address.description, prefixLength: plan.subnet.prefixLength, mac: chosenMAC.description,
                aliases: request.aliases, state: .creating)
            try store.write { [ep] tx in try tx.save(ep) }
            rollback.add("record of endpoint \(id)") { [store, n] in
                try store.write { [ep] tx in
                    try tx.deleteEndpoint(id: ep.id)
                    if try tx.deleteAllocation(network: n.id, address: address.description) {
                        try tx.recordRelease(network: n.id, address: address.description)
                    }
                }
            }
            // 2. Host ports: bound by berthd so nothing else can take them while they are published.
            // A port berth itself publishes is named with its owner (its socket is held elsewhere).
            // (Read only when there are ports to check: with many containers it is every mapping.)
            let published = request.ports.isEmpty ? ([], []) : try store.read { tx in (try tx.portMappings(), try tx.endpoints()) }
            let index = PublishedPortIndex(published.0)
            func clash(_ p: PortRequest, _ port: UInt16) -> PortMappingRecord? {
                index.clash(proto: p.proto, hostIP: p.hostIP?.description ?? "", port: Int(port))
            }
            for p in request.ports where p.hostPort != 0 && p.hostPortEnd <= p.hostPort {
                if let clash = clash(p, p.hostPort) {
                    let owner = published.1.first { $0.id == clash.endpointId }?.ownerName ?? Identifier.short(clash.endpointId)
                    throw BerthError.conflict(
                        "host port \(p.hostPort)/\(p.proto) is already published by \(owner); choose another host port")
                }
            }
            var mappings: [PortMappingRecord] = []
            mappings.reserveCapacity(request.ports.count)
            // What to close if a later step fails: one undo step for all of this endpoint's ports.
            var reserved: [PortReservations.Key] = []
            reserved.reserveCapacity(request.ports.count)
            rollback.add("host ports of \(request.ownerName)") { [ports] in ports.release(reserved) }
            let containerIP = address.description
            for p in request.ports {
                let port: UInt16
                if p.hostPortEnd > p.hostPort {
                    // A host range for one container port: the first port of the range that is free.
                    var chosen: UInt16?
                    for candidate in p.hostPort...p.hostPortEnd where clash(p, candidate) == nil {
                        if let got = try? ports.reserve(proto: p.proto, hostIP: p.hostIP, port: candidate, owner: request.ownerName) {
                            chosen = got
                            break
                        }
                    }
                    guard let chosen else {
                        throw BerthError.conflict(
                            "no free host port in \(p.hostPort)-\(p.hostPortEnd)/\(p.proto) for \(request.ownerName); choose another range")
                    }
                    port = chosen
                } else {
                    port = try ports.reserve(proto: p.proto, hostIP: p.hostIP, port: p.hostPort, owner: request.ownerName)
                }
                reserved.append(PortReservations.Key(proto: p.proto, hostIP: p.hostIP, port: port))
                mappings.append(
                    PortMappingRecord(
                        endpointId: id, networkId: n.id, proto: p.proto, hostIP: p.hostIP?.description ?? "",
                        hostPort: Int(port), containerIP: containerIP, containerPort: Int(p.containerPort)))
            }
            // Ports published since the read above (another connect) are refused here, inside the write.
            // Consecutive ports (in request order) become one stored row each run.
            try store.write { [mappings] tx in
                let index = PublishedPortIndex(try tx.portMappings())
                for m in mappings {
                    if let clash = index.clash(proto: m.proto, hostIP: m.hostIP, port: m.hostPort) {
                        throw BerthError.conflict(
                            "host port \(m.hostPort)/\(m.proto) is already published by endpoint \(Identifier.short(clash.endpointId)); choose another host port")
                    }
                }
                try tx.insert(portMappings: mappings)
            }
            // 3. Kernel: the veth pair, addresses, routes.
            FaultInjection.point("endpoint-connect:before-veth")
            let defaultGateway: IPv4Address? = (request.defaultRoute && !n.internal) ? plan.gateway : nil
            try kernel.attach(
                AttachmentSpec(
                    hostInterface: try InterfaceName(validating: hostIf), sandboxInterface: sandboxIf,
                    sandbox: request.sandbox, bridge: try InterfaceName(validating: bridge),
                    address: IPv4Interface(address, prefixLength: plan.subnet.prefixLength), mac: chosenMAC,
                    mtu: n.mtu, defaultGateway: defaultGateway))
            rollback.add("veth \(hostIf)") { [kernel] in try kernel.deleteLink(hostIf) }
            // 4. Rules, then done.
            ep.state = .ready
            try store.write { [ep] tx in try tx.save(ep) }
            try syncFirewall()
            // U2/U3: sandboxes on user-defined networks get the resolver at 127.0.0.11 (the default
            // bridge does not: scenario B6). A resolver that cannot start undoes the whole connect.
            if !n.predefined { try await ensureDNS(sandbox: request.sandbox) }
            rollback.commit()
            return ep
        } catch {
            let failures = rollback.unwind()
            try? syncFirewall()
            throw NetworkEngine.wrap(error, "cannot connect \(request.ownerName) to network \(n.name)", undoFailures: failures)
        }
    }

    /// Removes an endpoint: rules first (so no packet is DNAT'ed to a vanishing address), then the
    /// host veth (its peer goes with it), the port reservations, the address and the record.
    /// Already-gone objects count as removed; every failure is reported together. `sandboxGoing`: the
    /// sandbox's namespace is deleted next (a container stopping), so what lives only inside it stays.
    public func disconnect(endpoint id: String, sandboxGoing: Bool = false) async throws {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { dnsCache.invalidate() }
        guard var ep = try store.read({ tx in try tx.endpoint(id: id) }) else {
            throw BerthError.notFound("endpoint \(id) not found")
        }
        ep.state = .removing
        try store.write { [ep] tx in try tx.save(ep) }
        try finishRemovingEndpoint(ep)
        await releaseDNSIfUnused(sandbox: ep.sandbox, sandboxGoing: sandboxGoing)
    }

    /// Disconnects `owner` from a network (`docker network disconnect NET CONTAINER`).
    public func disconnect(owner: String, network ref: String) async throws {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { dnsCache.invalidate() }
        let n = try network(ref)
        guard let ep = try endpoints(network: n.id).first(where: { $0.ownerId == owner || $0.ownerName == owner }) else {
            throw BerthError.notFound("\(owner) is not connected to network \(n.name)")
        }
        try await disconnect(endpoint: ep.id)
    }

    func finishRemovingEndpoint(_ ep: EndpointRecord) throws {
        var failures: [String] = []
        let mappings = (try? portMappings(endpoint: ep.id)) ?? []
        do {
            try store.write { [ep] tx in try tx.deletePortMappings(endpoint: ep.id) }
            try syncFirewall()
        } catch { failures.append("rules: \(error)") }
        do { try kernel.deleteLink(ep.hostInterface) } catch { failures.append("veth \(ep.hostInterface): \(error)") }
        ports.release(NetworkEngine.reservationKeys(mappings))
        if !failures.isEmpty {
            throw BerthError(
                .system, "endpoint of \(ep.ownerName) was only partly removed; berth will finish when it restarts",
                causeText: failures.joined(separator: "; "))
        }
        try store.write { [ep] tx in
            try tx.deleteEndpoint(id: ep.id)
            if let ip = ep.ipv4, try tx.deleteAllocation(network: ep.networkId, address: ip) {
                try tx.recordRelease(network: ep.networkId, address: ip)
            }
        }
    }

    /// The reservation sockets of every port published by `owner`'s endpoints.
    public func portDescriptors(owner: String) -> [Int32] {
        ports.descriptors(NetworkEngine.reservationKeys(ownerPortMappings(owner)))
    }

    /// `owner`'s monitor now holds its ports: berthd closes its own copies, so the ports are released
    /// exactly when the container stops (the monitor exits), even while berthd is down.
    public func handOverPorts(owner: String) {
        ports.handedOver(NetworkEngine.reservationKeys(ownerPortMappings(owner)))
    }

    /// Every port published by `owner`'s endpoints, one record per port.
    func ownerPortMappings(_ owner: String) -> [PortMappingRecord] {
        (try? store.read { tx in
            try tx.endpoints(owner: owner).flatMap { try tx.portMappings(endpoint: $0.id) }
        }) ?? []
    }

    /// The reservation keys of `mappings` (host address text parsed once per distinct address).
    static func reservationKeys(_ mappings: [PortMappingRecord]) -> [PortReservations.Key] {
        var addresses: [String: IPv4Address?] = [:]
        return mappings.map { m in
            let ip: IPv4Address?
            if let known = addresses[m.hostIP] {
                ip = known
            } else {
                ip = IPv4Address(m.hostIP)
                addresses[m.hostIP] = ip
            }
            return PortReservations.Key(proto: m.proto, hostIP: ip, port: UInt16(truncatingIfNeeded: m.hostPort))
        }
    }

    func validatePorts(_ requested: [PortRequest]) throws {
        var seen = Set<String>()
        for p in requested {
            guard p.proto == "tcp" || p.proto == "udp" else {
                throw BerthError.invalid("invalid protocol \"\(p.proto)\" for port \(p.containerPort): use tcp or udp")
            }
            guard p.containerPort != 0 else { throw BerthError.invalid("container port 0 is not a valid port") }
            if p.hostPort != 0 {
                let key = "\(p.proto)/\(p.hostIP?.description ?? "*")/\(p.hostPort)"
                if !seen.insert(key).inserted {
                    throw BerthError.invalid("host port \(p.hostPort)/\(p.proto) is requested twice")
                }
            }
        }
    }

    /// Rebuilds the whole firewall state from the store and applies it as one atomic batch.
    func syncFirewall() throws {
        let (nets, maps) = try store.read { tx in (try tx.networks(), try tx.portMappingRows()) }
        let networks: [FirewallNetwork] = nets.compactMap { n in
            guard n.driver == "bridge", n.state != .removing, let b = n.bridge, let bridge = try? InterfaceName(validating: b),
                let plan = try? addressingPlan(of: n)
            else { return nil }
            return FirewallNetwork(id: n.id, bridge: bridge, subnet: plan.subnet, gateway: plan.gateway, internal: n.internal)
        }
        let live = Set(networks.map(\.id))
        // Rows may cover runs of ports: addresses are parsed once per row, then every port expanded.
        var ports: [PublishedPort] = []
        for m in maps {
            guard live.contains(m.networkId), let cip = IPv4Address(m.containerIP), let proto = TransportProtocol(rawValue: m.proto)
            else { continue }
            let hostIP = IPv4Address(m.hostIP)
            for i in 0..<max(m.count, 1) {
                guard let hp = UInt16(exactly: m.hostPort + i), let cp = UInt16(exactly: m.containerPort + i) else { continue }
                ports.append(
                    PublishedPort(
                        networkId: m.networkId, endpointId: m.endpointId, proto: proto, hostIP: hostIP,
                        hostPort: hp, containerIP: cip, containerPort: cp))
            }
        }
        try firewall.applyFollowingHostPolicy(FirewallState(table: config.firewallTable, networks: networks, ports: ports))
    }
}

/// Published ports by protocol and host port, to find the mapping a new port would clash with in
/// one hash lookup (a container publishing a thousand ports next to a thousand others).
struct PublishedPortIndex {
    private struct Slot: Hashable {
        let proto: String
        let port: Int
    }
    private var byPort: [Slot: [PortMappingRecord]] = [:]

    init(_ mappings: [PortMappingRecord]) {
        byPort.reserveCapacity(mappings.count)
        for m in mappings { byPort[Slot(proto: m.proto, port: m.hostPort), default: []].append(m) }
    }

    /// The mapping already publishing `port` for `proto` on `hostIP` ("" = every address): same
    /// address, or either side on every address.
    func clash(proto: String, hostIP: String, port: Int) -> PortMappingRecord? {
        byPort[Slot(proto: proto, port: port)]?.first { $0.hostIP == hostIP || $0.hostIP.isEmpty || hostIP.isEmpty }
    }
}
