import BerthAddressing
import BerthCore
import BerthIPAM
import BerthStore
import BerthSystem

/// What the reconciler found and did at start, for the log and `berth info`.
public struct ReconcileReport: Sendable {
    public var finished: [String] = []
    public var undone: [String] = []
    public var recreated: [String] = []
    public var failures: [String] = []
}

extension NetworkEngine {
    /// Brings the kernel in line with the store, then makes sure `bridge`, `host` and `none` exist.
    ///
    /// - records in `creating` are undone (the create never finished: delete what it may have made);
    /// - records in `removing` are finished;
    /// - `ready` bridge networks whose bridge vanished (a reboot empties the kernel) are made again;
    /// - endpoints whose sandbox no longer exists are removed, with their veth, ports and address;
    /// - published ports are reserved again; the firewall is rewritten from the store in one batch.
    @discardableResult
    public func start(portsHeldElsewhere: Set<String> = []) async throws -> ReconcileReport {
        var report = ReconcileReport()
        for ep in try endpoints() {
            let sandboxGone = !NetworkNamespace(path: ep.sandbox).exists
            if ep.state != .ready || sandboxGone {
                do {
                    try finishRemovingEndpoint(ep)
                    report.undone.append("endpoint \(ep.hostInterface) of \(ep.ownerName)")
                } catch { report.failures.append("endpoint \(ep.hostInterface): \(error)") }
            }
        }
        for n in try store.read({ tx in try tx.networks() }) {
            switch n.state {
            case .creating, .removing:
                do {
                    // Endpoints of a half-made network cannot be legitimate; remove them with it.
                    for ep in try endpoints(network: n.id) { try finishRemovingEndpoint(ep) }
                    try destroyNetwork(n)
                    if n.state == .creating { report.undone.append("network \(n.name)") } else { report.finished.append("removal of network \(n.name)") }
                } catch { report.failures.append("network \(n.name): \(error)") }
            case .ready:
                guard n.driver == "bridge", let bridge = n.bridge, let plan = try? addressingPlan(of: n) else { continue }
                do {
                    let existed = try kernel.linkExists(bridge)
                    try kernel.ensureBridge(
                        BridgeSpec(
                            name: try InterfaceName(validating: bridge),
                            gateway: IPv4Interface(plan.gateway, prefixLength: plan.subnet.prefixLength), mtu: n.mtu))
                    try kernel.enableRouteLocalnet(bridge: bridge)
                    if !existed { report.recreated.append("bridge \(bridge) of network \(n.name)") }
                } catch { report.failures.append("bridge \(bridge): \(error)") }
            }
        }
        // Published ports of surviving endpoints: hold them again (unless a running container's
        // monitor still holds them: `portsHeldElsewhere` names those owners).
        let heldEndpoints = Set(try endpoints().filter { portsHeldElsewhere.contains($0.ownerId) }.map(\.id))
        for m in try portMappings() where !heldEndpoints.contains(m.endpointId) {
            do {
                _ = try ports.reserve(proto: m.proto, hostIP: IPv4Address(m.hostIP), port: UInt16(m.hostPort), owner: m.endpointId)
            } catch { report.failures.append("port \(m.hostPort)/\(m.proto): \(error)") }
        }
        // Leftovers of an interrupted bridge creation (see LinuxNetworkKernel.settleCarrier).
        for probe in (try? kernel.linkNames(prefix: LinuxNetworkKernel.carrierProbePrefix)) ?? [] {
            do { try kernel.deleteLink(probe) } catch { report.failures.append("link \(probe): \(error)") }
        }
        try ensurePredefinedNetworks()
        if try networks().contains(where: { $0.driver == "bridge" }) { try kernel.enableIPForwarding() }
        try syncFirewall()
        // Resolvers do not survive a restart of berthd: start them again (with new ports; the
        // redirect in each sandbox is replaced atomically).
        let userNets = Set(try networks().filter { !$0.predefined }.map(\.id))
        for sandbox in Set(try endpoints().filter { userNets.contains($0.networkId) }.map(\.sandbox)) {
            do { try await ensureDNS(sandbox: sandbox) } catch { report.failures.append("DNS in \(sandbox): \(error)") }
        }
        return report
    }

    /// The three networks Docker users expect to exist: `bridge` (on `berth0`), `host`, `none`.
    func ensurePredefinedNetworks() throws {
        let all = try networks()
        if !all.contains(where: { $0.name == "host" }) { try savePredefined(name: "host", driver: "host") }
        if !all.contains(where: { $0.name == "none" }) { try savePredefined(name: "none", driver: "null") }
        if !all.contains(where: { $0.name == "bridge" }) {
            let existing = try store.read { tx in try tx.networks() }
            let plan = try defaultBridgeAddressing(existing: existing)
            let mtu = try resolveMTU(options: [:])
            let record = NetworkRecord(
                id: Identifier.random(), name: "bridge", driver: "bridge", bridge: config.defaultBridgeName,
                subnet: plan.subnet.description, gateway: plan.gateway.description, ipRange: nil, mtu: mtu,
                internal: false, attachable: false, predefined: true,
                options: [
                    NetworkEngine.bridgeNameOption: config.defaultBridgeName,
                    "com.docker.network.bridge.default_bridge": "true",
                    "com.docker.network.bridge.enable_ip_masquerade": "true",
                    NetworkEngine.mtuOption: String(mtu),
                ], labels: [:], created: Clock.rfc3339Now(), state: .creating)
            try makeBridgeNetwork(record, addressing: plan)
        }
    }

    func savePredefined(name: String, driver: String) throws {
        let r = NetworkRecord(
            id: Identifier.random(), name: name, driver: driver, bridge: nil, subnet: nil, gateway: nil, ipRange: nil,
            mtu: 0, internal: false, attachable: false, predefined: true, options: [:], labels: [:],
            created: Clock.rfc3339Now(), state: .ready)
        try store.write { [r] tx in try tx.save(r) }
    }

    /// Removes everything berth made: endpoints, networks (including the default bridge), the firewall
    /// table. For `berthd --cleanup` and tests.
    public func teardownAll() async throws {
        var failures: [String] = []
        if let dns {
            for (_, listener) in dnsListeners { await dns.stop(listener) }
            dnsListeners = [:]
        }
        for ep in try endpoints() {
            do { try finishRemovingEndpoint(ep) } catch { failures.append("\(error)") }
        }
        for n in try store.read({ tx in try tx.networks() }) {
            do { try destroyNetwork(n) } catch { failures.append("\(error)") }
        }
        do { try firewall.remove(table: config.firewallTable) } catch { failures.append("firewall: \(error)") }
        if !failures.isEmpty {
            throw BerthError(.system, "berth could not remove everything it made", causeText: failures.joined(separator: "; "))
        }
    }
}
