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
            func clash(_ p: PortRequest, _ port: UInt16) -> PortMappingRecord? {
                let hostIP = p.hostIP?.description ?? ""
                return published.0.first {
                    $0.proto == p.proto && $0.hostPort == Int(port) && ($0.hostIP == hostIP || $0.hostIP.isEmpty || hostIP.isEmpty)
                }
            }
            for p in request.ports where p.hostPort != 0 && p.hostPortEnd <= p.hostPort {
                if let clash = clash(p, p.hostPort) {
                    let owner = published.1.first { $0.id == clash.endpointId }?.ownerName ?? Identifier.short(clash.endpointId)
                    throw BerthError.conflict(
                        "host port \(p.hostPort)/\(p.proto) is already published by \(owner); choose another host port")
                }
            }
            var mappings: [PortMappingRecord] = []
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
                rollback.add("host port \(p.proto)/\(port)") { [ports] in ports.release(proto: p.proto, hostIP: p.hostIP, port: port) }
                mappings.append(
                    PortMappingRecord(
                        endpointId: id, networkId: n.id, proto: p.proto, hostIP: p.hostIP?.description ?? "",
                        hostPort: Int(port), containerIP: address.description, containerPort: Int(p.containerPort)))
            }
            try store.write { [mappings] tx in
                let published = try tx.portMappings()
                for m in mappings {
                    if let clash = published.first(where: {
                        $0.proto == m.proto && $0.hostPort == m.hostPort && ($0.hostIP == m.hostIP || $0.hostIP.isEmpty || m.hostIP.isEmpty)
                    }) {
                        throw BerthError.conflict(
                            "host port \(m.hostPort)/\(m.proto) is already published by endpoint \(Identifier.short(clash.endpointId)); choose another host port")
                    }
                    try tx.insert(m)
                }
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
    /// Already-gone objects count as removed; every failure is reported together.
    public func disconnect(endpoint id: String) async throws {
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
        await releaseDNSIfUnused(sandbox: ep.sandbox)
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
        for m in mappings {
            ports.release(proto: m.proto, hostIP: IPv4Address(m.hostIP), port: UInt16(m.hostPort))
        }
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
        let eps = (try? endpoints(owner: owner)) ?? []
        return eps.flatMap { ep in
            ((try? portMappings(endpoint: ep.id)) ?? []).compactMap {
                ports.descriptor(proto: $0.proto, hostIP: IPv4Address($0.hostIP), port: UInt16($0.hostPort))
            }
        }
    }

    /// `owner`'s monitor now holds its ports: berthd closes its own copies, so the ports are released
    /// exactly when the container stops (the monitor exits), even while berthd is down.
    public func handOverPorts(owner: String) {
        let eps = (try? endpoints(owner: owner)) ?? []
        for ep in eps {
            for m in (try? portMappings(endpoint: ep.id)) ?? [] {
                ports.handedOver(proto: m.proto, hostIP: IPv4Address(m.hostIP), port: UInt16(m.hostPort))
            }
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
        let (nets, maps) = try store.read { tx in (try tx.networks(), try tx.portMappings()) }
        let networks: [FirewallNetwork] = nets.compactMap { n in
            guard n.driver == "bridge", n.state != .removing, let b = n.bridge, let bridge = try? InterfaceName(validating: b),
                let plan = try? addressingPlan(of: n)
            else { return nil }
            return FirewallNetwork(id: n.id, bridge: bridge, subnet: plan.subnet, gateway: plan.gateway, internal: n.internal)
        }
        let live = Set(networks.map(\.id))
        let ports: [PublishedPort] = maps.compactMap { m in
            guard live.contains(m.networkId), let cip = IPv4Address(m.containerIP), let proto = TransportProtocol(rawValue: m.proto),
                let hp = UInt16(exactly: m.hostPort), let cp = UInt16(exactly: m.containerPort)
            else { return nil }
            return PublishedPort(
                networkId: m.networkId, endpointId: m.endpointId, proto: proto, hostIP: IPv4Address(m.hostIP),
                hostPort: hp, containerIP: cip, containerPort: cp)
        }
        try firewall.applyFollowingHostPolicy(FirewallState(table: config.firewallTable, networks: networks, ports: ports))
    }
}
