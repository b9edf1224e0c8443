import BerthCore
import Yams

/// `compose config`: the project as berth understood it (merged, interpolated, defaults filled in),
/// in the Compose Specification's own keys.
extension ComposeProject {
    public func renderYAML() throws -> String {
        var services: [String: Any] = [:]
        for s in self.services {
            var m: [String: Any] = ["image": s.image ?? ""]
            if let c = s.command { m["command"] = c }
            if let e = s.entrypoint { m["entrypoint"] = e }
            if let n = s.containerName { m["container_name"] = n }
            if !s.environment.isEmpty { m["environment"] = s.environment }
            if !s.ports.isEmpty {
                m["ports"] = s.ports.map { p -> [String: Any] in
                    var port: [String: Any] = ["target": Int(p.target), "protocol": p.proto, "mode": "ingress"]
                    if let pub = p.published { port["published"] = String(pub) }
                    if let ip = p.hostIP { port["host_ip"] = ip }
                    return port
                }
            }
            if !s.expose.isEmpty { m["expose"] = s.expose }
            switch s.networkMode {
            case .host: m["network_mode"] = "host"
            case .noNetwork: m["network_mode"] = "none"
            case .bridge: m["network_mode"] = "bridge"
            case .service(let x): m["network_mode"] = "service:" + x
            case .container(let x): m["network_mode"] = "container:" + x
            case nil:
                var nets: [String: Any] = [:]
                for n in s.networks {
                    var cfg: [String: Any] = [:]
                    if !n.aliases.isEmpty { cfg["aliases"] = n.aliases }
                    if let ip = n.ipv4Address { cfg["ipv4_address"] = ip }
                    nets[n.name] = cfg.isEmpty ? NSNullLike.marker as Any : cfg
                }
                m["networks"] = nets
            }
            if let h = s.hostname { m["hostname"] = h }
            if !s.extraHosts.isEmpty { m["extra_hosts"] = s.extraHosts }
            if !s.dns.isEmpty { m["dns"] = s.dns }
            if !s.dnsSearch.isEmpty { m["dns_search"] = s.dnsSearch }
            if !s.dependsOn.isEmpty {
                m["depends_on"] = Dictionary(
                    uniqueKeysWithValues: s.dependsOn.map { ($0, ["condition": "service_started"]) })
            }
            if s.restart != "no" { m["restart"] = s.restart }
            if let mem = s.memoryLimit { m["mem_limit"] = String(mem) }
            if let cpus = s.cpus { m["cpus"] = cpus }
            if let p = s.pidsLimit { m["pids_limit"] = p }
            if !s.capAdd.isEmpty { m["cap_add"] = s.capAdd }
            if !s.capDrop.isEmpty { m["cap_drop"] = s.capDrop }
            if s.privileged { m["privileged"] = true }
            if !s.labels.isEmpty { m["labels"] = s.labels }
            if let w = s.workingDir { m["working_dir"] = w }
            if let u = s.user { m["user"] = u }
            if s.tty { m["tty"] = true }
            if s.stdinOpen { m["stdin_open"] = true }
            services[s.name] = m
        }
        var networks: [String: Any] = [:]
        for n in self.networks {
            var m: [String: Any] = ["name": n.name]
            if n.external {
                m["external"] = true
            } else {
                m["driver"] = n.driver
            }
            if n.internal { m["internal"] = true }
            if n.subnet != nil || n.gateway != nil {
                var cfg: [String: Any] = [:]
                if let s = n.subnet { cfg["subnet"] = s }
                if let g = n.gateway { cfg["gateway"] = g }
                m["ipam"] = ["config": [cfg]]
            }
            if !n.labels.isEmpty { m["labels"] = n.labels }
            networks[n.key] = m
        }
        var top: [String: Any] = ["name": name, "services": services]
        if !networks.isEmpty { top["networks"] = networks }
        return try Yams.dump(object: top, sortKeys: true).replacingOccurrences(
            of: ": \(NSNullLike.marker)", with: ": null")
    }
}

/// Yams has no null for `dump(object:)`; a marker string replaced afterwards.
enum NSNullLike {
    static let marker = "__berth_null__"
}
