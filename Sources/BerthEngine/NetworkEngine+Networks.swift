import BerthAddressing
import BerthCore
import BerthIPAM
import BerthStore
import BerthSystem

extension NetworkEngine {
    /// `docker network create`: validates everything first, records the network in state `creating`,
    /// makes the bridge and firewall rules with an undo stack, then marks it ready.
    public func createNetwork(_ spec: NetworkCreateSpec) throws -> NetworkRecord {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { dnsCache.invalidate() }
        try ObjectName.validate(spec.name, kind: "network")
        switch spec.driver {
        case "bridge", "": break
        case "host", "null":
            throw BerthError(
                .forbidden, "only one instance of \"\(spec.driver == "null" ? "none" : "host")\" network is allowed")
        default:
            throw BerthError.invalid(
                "network driver \"\(spec.driver)\" is not supported; berth supports the \"bridge\" driver")
        }
        if spec.enableIPv6 {
            throw BerthError.invalid("IPv6 networks are not supported yet; create the network without --ipv6")
        }
        if spec.subnet == nil && (spec.gateway != nil || spec.ipRange != nil) {
            throw BerthError.invalid("--gateway and --ip-range need --subnet: berth cannot check them against a subnet it has not chosen yet")
        }
        let mtu = try resolveMTU(options: spec.options)
        let id = Identifier.random()
        var bridgeName = "br-" + Identifier.short(id)
        if let custom = spec.options[NetworkEngine.bridgeNameOption] {
            bridgeName = try InterfaceName(validating: custom).value
            if try kernel.linkExists(custom) {
                throw BerthError.conflict("an interface named \(custom) already exists on the host; choose another \(NetworkEngine.bridgeNameOption)")
            }
        }
        let existing = try store.read { tx in try tx.networks() }
        if existing.contains(where: { $0.name == spec.name && $0.state != .removing }) {
            throw BerthError.conflict("network with name \(spec.name) already exists")
        }
        if existing.contains(where: { $0.bridge == bridgeName }) {
            throw BerthError.conflict("bridge name \(bridgeName) is already used by another berth network")
        }
        let addressing = try chooseAddressing(spec: spec, existing: existing)

        let record = NetworkRecord(
            id: id, name: spec.name, driver: "bridge", bridge: bridgeName,
            subnet: addressing.subnet.description, gateway: addressing.gateway.description,
            ipRange: addressing.ipRange?.description, mtu: mtu, internal: spec.internal,
            attachable: spec.attachable, predefined: false, options: spec.options, labels: spec.labels,
            created: Clock.rfc3339Now(), state: .creating)
        try makeBridgeNetwork(record, addressing: addressing)
        return try network(id)
    }

    /// Shared by `createNetwork` and the default `bridge` network: intent, bridge, firewall, done.
    func makeBridgeNetwork(_ record: NetworkRecord, addressing: NetworkAddressing) throws {
        var record = record
        try store.write { [record] tx in
            try tx.save(record)
            try tx.insert(AddressAllocationRecord(networkId: record.id, address: addressing.gateway.description, owner: ""))
        }
        let rollback = Rollback()
        rollback.add("record of network \(record.name)") { [store] in
            try store.write { [record] tx in try tx.deleteNetwork(id: record.id) }
        }
        do {
            guard let bridge = record.bridge else { throw BerthError(.internalError, "bridge network without bridge name") }
            FaultInjection.point("network-create:before-bridge")
            let name = try InterfaceName(validating: bridge)
            try kernel.ensureBridge(
                BridgeSpec(
                    name: name, gateway: IPv4Interface(addressing.gateway, prefixLength: addressing.subnet.prefixLength),
                    mtu: record.mtu))
            rollback.add("bridge \(bridge)") { [kernel] in try kernel.deleteLink(bridge) }
            FaultInjection.point("network-create:after-bridge")
            try kernel.enableRouteLocalnet(bridge: bridge)
            try kernel.enableIPForwarding()
            // Rules include networks still being created, so they are in place before the network is
            // declared ready; a crash before the ready mark leaves a `creating` record the reconciler undoes.
            try syncFirewall()
            FaultInjection.point("network-create:after-firewall")
            record.state = .ready
            try store.write { [record] tx in try tx.save(record) }
            rollback.commit()
        } catch {
            let failures = rollback.unwind()
            // The rules must not keep a network that no longer exists.
            try? syncFirewall()
            throw NetworkEngine.wrap(error, "cannot create network \(record.name)", undoFailures: failures)
        }
    }

    /// `docker network rm`: refuses predefined networks and networks with endpoints; otherwise marks the
    /// record `removing`, removes rules and bridge (already gone is fine), then the record.
    public func removeNetwork(_ ref: String) throws {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { dnsCache.invalidate() }
        let n = try network(ref)
        if n.predefined {
            throw BerthError(.forbidden, "\(n.name) is a pre-defined network and cannot be removed")
        }
        let eps = try endpoints(network: n.id)
        if !eps.isEmpty {
            let owners = eps.map(\.ownerName).sorted().joined(separator: ", ")
            throw BerthError.conflict(
                "error while removing network: network \(n.name) id \(n.id) has active endpoints (\(owners)); disconnect or remove them first")
        }
        try destroyNetwork(n)
    }

    /// Removes a network's kernel objects and records; used by `rm`, `prune` and the reconciler.
    func destroyNetwork(_ n: NetworkRecord) throws {
        var n = n
        n.state = .removing
        try store.write { [n] tx in try tx.save(n) }
        var failures: [String] = []
        do { try syncFirewall() } catch { failures.append("firewall: \(error)") }
        if let bridge = n.bridge {
            do { try kernel.deleteLink(bridge) } catch { failures.append("bridge \(bridge): \(error)") }
        }
        if !failures.isEmpty {
            throw BerthError(
                .system, "network \(n.name) was only partly removed; berth will finish when it restarts",
                causeText: failures.joined(separator: "; "))
        }
        try store.write { [n] tx in try tx.deleteNetwork(id: n.id) }
    }

    /// `docker network prune`: removes every user network with no endpoints that `keep` does not protect.
    public func pruneNetworks(where shouldPrune: @Sendable (NetworkRecord) -> Bool) throws -> [String] {
        // Names and addresses change: every resolver view is rebuilt (before and after, so a query
        // racing the change cannot keep a stale one).
        dnsCache.invalidate()
        defer { dnsCache.invalidate() }
        var removed: [String] = []
        for n in try networks() where !n.predefined && shouldPrune(n) {
            if try !endpoints(network: n.id).isEmpty { continue }
            try destroyNetwork(n)
            removed.append(n.name)
        }
        return removed
    }

    func resolveMTU(options: [String: String]) throws -> Int {
        if let text = options[NetworkEngine.mtuOption] {
            guard let v = Int(text), (68...65535).contains(v) else {
                throw BerthError.invalid(
                    "invalid \(NetworkEngine.mtuOption) \"\(text)\": the MTU must be a number between 68 and 65535")
            }
            return v
        }
        if let m = config.mtu { return m }
        return (try? kernel.defaultRouteMTU()) ?? 1500
    }

    static func wrap(_ error: any Error, _ what: String, undoFailures: [String]) -> BerthError {
        var e: BerthError
        if let b = error as? BerthError {
            e = b
            if !e.message.hasPrefix(what) && b.code == .system { e.message = "\(what): \(b.message)" }
        } else {
            e = BerthError(.system, what, cause: error)
        }
        if !undoFailures.isEmpty {
            e.cause = [e.cause, "undo left work for the reconciler: " + undoFailures.joined(separator: "; ")]
                .compactMap { $0 }.joined(separator: "; ")
        }
        return e
    }
}

/// Timestamps in Docker's format.
public enum Clock {
    public static func rfc3339Now() -> String { WallClock.rfc3339() }
}

#if canImport(Glibc)
import Glibc
#endif
