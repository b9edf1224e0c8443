import BerthAPI
import BerthCore
import Foundation

/// The labels `docker compose` puts on what it creates; berth uses the same ones so either tool
/// recognises the other's projects.
public enum ComposeLabel {
    public static let project = "com.docker.compose.project"
    public static let service = "com.docker.compose.service"
    public static let network = "com.docker.compose.network"
    public static let containerNumber = "com.docker.compose.container-number"
    public static let oneoff = "com.docker.compose.oneoff"
    /// A hash of the service's resolved create request: `up` recreates a container only when it changed.
    public static let configHash = "com.docker.compose.config-hash"
    public static let workingDir = "com.docker.compose.project.working_dir"
}

/// What berthd is asked to make for a project: the Docker API bodies `docker compose` would send.
extension ComposeProject {
    /// The project's network under `key` (as services name it).
    public func network(_ key: String) -> ComposeNetwork? { networks.first { $0.key == key } }

    /// `POST /networks/create` for a network the project owns (not for external ones).
    public func networkCreateRequest(_ n: ComposeNetwork) -> NetworkCreateRequest {
        var labels = n.labels
        labels[ComposeLabel.project] = name
        labels[ComposeLabel.network] = n.key
        let ipam: IPAM? =
            n.subnet == nil && n.gateway == nil
            ? nil : IPAM(driver: "default", config: [IPAMConfig(subnet: n.subnet, gateway: n.gateway)])
        return NetworkCreateRequest(
            name: n.name, driver: n.driver, internal: n.internal ? true : nil, attachable: true, ipam: ipam,
            labels: labels)
    }

    /// `POST /containers/create` for `service`'s first container, labelled with its config hash.
    public func containerCreateRequest(_ s: ComposeService) -> ContainerCreateRequest {
        var r = ContainerCreateRequest()
        r.Image = s.image
        r.Cmd = s.command.map(StringOrList.init)
        r.Entrypoint = s.entrypoint.map { StringOrList($0.isEmpty ? [""] : $0) }
        r.Env = s.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        r.Hostname = s.hostname
        r.WorkingDir = s.workingDir
        r.User = s.user
        r.Tty = s.tty
        r.OpenStdin = s.stdinOpen
        r.AttachStdout = true
        r.AttachStderr = true
        r.Labels = s.labels
        var exposed: [String: EmptyObject] = [:]
        for e in s.expose { exposed[e.contains("/") ? e : e + "/tcp"] = EmptyObject() }
        var bindings: [String: [PortBindingJSON]?] = [:]
        for p in s.ports {
            let key = "\(p.target)/\(p.proto)"
            exposed[key] = EmptyObject()
            let b = PortBindingJSON(HostIp: p.hostIP ?? "", HostPort: p.published.map(String.init) ?? "")
            bindings[key] = .some(((bindings[key] ?? nil) ?? []) + [b])
        }
        r.ExposedPorts = exposed.isEmpty ? nil : exposed
        var hc = HostConfig()
        hc.PortBindings = bindings.isEmpty ? nil : bindings
        hc.ExtraHosts = s.extraHosts.isEmpty ? nil : s.extraHosts
        hc.Dns = s.dns.isEmpty ? nil : s.dns
        hc.DnsSearch = s.dnsSearch.isEmpty ? nil : s.dnsSearch
        hc.CapAdd = s.capAdd.isEmpty ? nil : s.capAdd
        hc.CapDrop = s.capDrop.isEmpty ? nil : s.capDrop
        hc.Privileged = s.privileged
        hc.Memory = s.memoryLimit
        hc.NanoCpus = s.cpus.map { Int64($0 * 1e9) }
        hc.PidsLimit = s.pidsLimit.map(Int64.init)
        hc.RestartPolicy = ComposeProject.restartPolicy(s.restart)
        switch s.networkMode {
        case .host: hc.NetworkMode = "host"
        case .noNetwork: hc.NetworkMode = "none"
        case .bridge: hc.NetworkMode = "bridge"
        case .service(let other):
            let target = services.first { $0.name == other }
            hc.NetworkMode = "container:" + (target?.containerName(project: name) ?? "\(name)-\(other)-1")
        case .container(let c): hc.NetworkMode = "container:" + c
        case nil:
            var endpoints: [String: EndpointSettings] = [:]
            for attachment in s.networks {
                guard let n = network(attachment.name) else { continue }
                var ep = EndpointSettings()
                // The service name (and any aliases) resolve on every network the service joins.
                ep.Aliases = [s.name] + attachment.aliases
                if let ip = attachment.ipv4Address { ep.IPAMConfig = EndpointIPAMConfig(IPv4Address: ip) }
                endpoints[n.name] = ep
            }
            hc.NetworkMode = s.networks.first.flatMap { network($0.name)?.name } ?? "bridge"
            r.NetworkingConfig = NetworkingConfig(EndpointsConfig: endpoints)
        }
        r.HostConfig = hc
        // The hash covers the service's own config, not the labels compose adds (the project
        // directory may move without the containers needing to change).
        var labels = s.labels
        labels[ComposeLabel.configHash] = ComposeProject.configHash(r)
        labels[ComposeLabel.project] = name
        labels[ComposeLabel.service] = s.name
        labels[ComposeLabel.containerNumber] = "1"
        labels[ComposeLabel.oneoff] = "False"
        if !directory.isEmpty { labels[ComposeLabel.workingDir] = directory }
        r.Labels = labels
        return r
    }

    /// `no`, `always`, `unless-stopped`, `on-failure[:N]` as the API's RestartPolicy.
    public static func restartPolicy(_ text: String) -> RestartPolicy {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first ?? "no"
        return RestartPolicy(Name: name, MaximumRetryCount: parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
    }

    /// A stable hash of a create request without the labels compose adds: the same service config
    /// gives the same hash in every run (sorted JSON keys, FNV-1a 64), a changed one a different hash.
    public static func configHash(_ request: ContainerCreateRequest) -> String {
        var r = request
        r.Labels = r.Labels?.filter { !$0.key.hasPrefix("com.docker.compose.") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(r)) ?? Data()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// `services` plus everything they depend on (directly or through `network_mode: service:`),
    /// in start order; all services when `names` is empty. Unknown names are an error.
    public func selecting(_ names: [String]) throws -> [ComposeService] {
        if names.isEmpty { return services }
        for n in names where !services.contains(where: { $0.name == n }) {
            throw BerthError.notFound(
                "no such service: \(n) (the project's services: \(services.map(\.name).joined(separator: ", ")))")
        }
        var wanted = Set(names)
        var changed = true
        while changed {
            changed = false
            for s in services where wanted.contains(s.name) {
                for d in s.dependsOn where !wanted.contains(d) {
                    wanted.insert(d)
                    changed = true
                }
            }
        }
        return services.filter { wanted.contains($0.name) }
    }
}
