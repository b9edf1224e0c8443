import BerthAPI
import BerthAddressing
import BerthCore
import BerthFirewall
import BerthIPAM
import BerthStore
import BerthSystem

/// `berth doctor`: checks read from the live kernel, each with a sentence and what to do.
extension NetworkEngine: DiagnosticsService {
    public func doctor() async throws -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let nets = try networks()
        let bridgeNets = nets.filter { $0.driver == "bridge" }

        // ip_forward: without it nothing leaves a bridge for anywhere else.
        let forwarding = try? inHostNamespace { try Sysctl.read("net.ipv4.ip_forward") }
        if forwarding == "1" {
            checks.append(DoctorCheck(name: "ip_forward", status: .ok, detail: "net.ipv4.ip_forward is 1: containers can reach beyond the host"))
        } else {
            checks.append(
                DoctorCheck(
                    name: "ip_forward", status: bridgeNets.isEmpty ? .warning : .failure,
                    detail: "net.ipv4.ip_forward is \(forwarding ?? "unreadable"): containers cannot reach anything beyond the host",
                    fix: "sysctl -w net.ipv4.ip_forward=1 (berthd sets it when it starts with bridge networks)"))
        }

        // nftables: berth's table is where every NAT and filter rule lives.
        do {
            _ = try firewall.listRuleset(table: config.firewallTable)
            checks.append(DoctorCheck(name: "nftables", status: .ok, detail: "table ip \(config.firewallTable) is loaded (nft list table ip \(config.firewallTable))"))
        } catch {
            checks.append(
                DoctorCheck(
                    name: "nftables", status: .failure, detail: "berth's table ip \(config.firewallTable) cannot be listed: \(error)",
                    fix: "install nftables (apt-get install nftables) and restart berthd"))
        }

        // Another firewall's FORWARD policy.
        let hostForward = try? (firewall as? NftablesDriver)?.hostForwardChain()
        let tagged = Set((hostForward?.rules ?? []).compactMap(\.comment))
        let unaccepted = bridgeNets.filter { !tagged.contains(FirewallState(table: config.firewallTable).tag(network: $0.id)) }
        if hostForward?.policyDrop == true, !unaccepted.isEmpty {
            checks.append(
                DoctorCheck(
                    name: "forward-policy", status: .failure,
                    detail: "the host's ip filter FORWARD policy is drop (another firewall, such as Docker's) and berth's accept rules are missing for \(unaccepted.compactMap(\.bridge).joined(separator: ", ")): forwarded traffic of those networks is dropped",
                    fix: "berth doctor --fix (adds berth's narrow accept rules, tagged \(config.firewallTable):net:…)"))
        } else if (try? firewall.hostForwardPolicyIsDrop()) == true {
            checks.append(
                DoctorCheck(
                    name: "forward-policy", status: .ok,
                    detail: "the host's ip filter FORWARD policy is drop (Docker sets that); berth added narrow accept rules for its bridges, tagged \(config.firewallTable):net:…"))
        } else {
            checks.append(DoctorCheck(name: "forward-policy", status: .ok, detail: "no FORWARD drop policy from another firewall"))
        }

        // br_netfilter: bridged frames also cross the ip hooks (Docker loads it).
        if let v = try? inHostNamespace({ try Sysctl.read("net.bridge.bridge-nf-call-iptables") }) {
            checks.append(
                DoctorCheck(
                    name: "br_netfilter", status: .ok,
                    detail: "br_netfilter is loaded (bridge-nf-call-iptables=\(v)): traffic between containers on one bridge also passes the ip filter hooks"))
        }

        // Bridges recorded but missing from the kernel.
        for n in bridgeNets where n.state == .ready {
            guard let b = n.bridge else { continue }
            if (try? kernel.linkExists(b)) != true {
                checks.append(
                    DoctorCheck(
                        name: "bridge \(b)", status: .failure, detail: "network \(n.name) has no bridge \(b) in the kernel",
                        fix: "restart berthd: it recreates missing bridges when it starts"))
            }
        }

        // Subnets that now overlap a route someone else added.
        let foreign = (try? foreignHostRoutes(nets)) ?? []
        for n in bridgeNets {
            guard let s = n.subnet.flatMap({ IPv4Network($0) }) else { continue }
            for r in foreign where r.destination.prefixLength > 0 && r.destination.overlaps(s) {
                checks.append(
                    DoctorCheck(
                        name: "subnet \(s)", status: .warning,
                        detail: "network \(n.name) (\(s)) overlaps the host route \(r.destination) on \(r.interface ?? "?"): traffic for one of them goes to the wrong place",
                        fix: "recreate \(n.name) with another --subnet, or remove the other route"))
            }
        }

        // Leftovers of interrupted bridge creation.
        let probes = (try? kernel.linkNames(prefix: LinuxNetworkKernel.carrierProbePrefix)) ?? []
        if !probes.isEmpty {
            checks.append(
                DoctorCheck(
                    name: "orphans", status: .warning, detail: "left-over links \(probes.joined(separator: ", "))",
                    fix: "restart berthd: it removes them when it starts"))
        } else {
            checks.append(DoctorCheck(name: "orphans", status: .ok, detail: "no left-over berth links"))
        }
        return checks
    }

    /// `berth doctor --fix`: what the reconciler does at start (recreate missing bridges, remove
    /// left-over links, rewrite the firewall), plus ip_forward; then the checks again.
    public func doctorFix() async throws -> [DoctorCheck] {
        for probe in (try? kernel.linkNames(prefix: LinuxNetworkKernel.carrierProbePrefix)) ?? [] {
            try? kernel.deleteLink(probe)
        }
        for n in try networks() where n.driver == "bridge" && n.state == .ready {
            guard let b = n.bridge, (try? kernel.linkExists(b)) != true, let plan = try? addressingPlan(of: n) else { continue }
            try kernel.ensureBridge(
                BridgeSpec(name: try InterfaceName(validating: b), gateway: plan.gatewayInterface, mtu: n.mtu))
            try kernel.enableRouteLocalnet(bridge: b)
        }
        if try networks().contains(where: { $0.driver == "bridge" }) { try kernel.enableIPForwarding() }
        try syncFirewall()
        return try await doctor()
    }

    /// Reads in the engine's host namespace (directly when that is the process's own).
    func inHostNamespace<T>(_ body: () throws -> T) throws -> T { try config.hostNamespace.runHere(body) }
}
