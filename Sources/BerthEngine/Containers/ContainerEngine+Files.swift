import BerthCore
import BerthImage
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem

extension ContainerEngine {
    /// `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` of a container, like Docker's: user-defined
    /// networks get the embedded resolver (`nameserver 127.0.0.11`, `options ndots:0`); the default
    /// bridge and `none` get the host's resolvers minus loopback ones; host mode gets the host's file.
    func writeEtcFiles(
        _ c: ContainerRecord, spec: ContainerSpec, addresses: [(ip: String, hostname: String)], peer: ContainerRecord?
    ) async throws {
        let f = files(c.id)
        if let peer {
            // container:<X> shares X's network: its hosts and resolver files too.
            let pf = files(peer.id)
            for (from, to) in [(pf.hosts, f.hosts), (pf.resolvConf, f.resolvConf)] {
                try FileSystem.writeFile(to, (try? FileSystem.readFile(from)) ?? [], mode: 0o644)
            }
        } else {
            try FileSystem.writeFile(f.hosts, Array(try await hostsFile(spec, addresses: addresses).utf8), mode: 0o644)
            try FileSystem.writeFile(f.resolvConf, Array(try await resolvConf(spec).utf8), mode: 0o644)
        }
        try FileSystem.writeFile(f.hostname, Array((spec.hostname + "\n").utf8), mode: 0o644)
    }

    func hostsFile(_ spec: ContainerSpec, addresses: [(ip: String, hostname: String)]) async throws -> String {
        if spec.networkMode == "host" {
            var text = (try? FileSystem.readText("/etc/hosts")) ?? "127.0.0.1\tlocalhost\n"
            for h in try await extraHosts(spec) { text += "\(h.ip)\t\(h.name)\n" }
            return text
        }
        var lines = [
            "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
            "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters",
        ]
        for h in try await extraHosts(spec) { lines.append("\(h.ip)\t\(h.name)") }
        for a in addresses.prefix(1) {
            let names = spec.domainname.isEmpty ? a.hostname : "\(a.hostname).\(spec.domainname) \(a.hostname)"
            lines.append("\(a.ip)\t\(names)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `--add-host name:ip`; `host-gateway` means the gateway of the container's first network (the
    /// host's address on that bridge), or the default bridge's gateway.
    func extraHosts(_ spec: ContainerSpec) async throws -> [(name: String, ip: String)] {
        var out: [(name: String, ip: String)] = []
        for entry in spec.extraHosts {
            let sep = entry.firstIndex(where: { $0 == ":" || $0 == "=" })
            guard let sep else {
                throw BerthError.invalid("invalid --add-host \"\(entry)\": expected name:ip or name:host-gateway")
            }
            let name = String(entry[..<sep])
            var ip = String(entry[entry.index(after: sep)...])
            if ip == "host-gateway" {
                let net = spec.networks.first?.network ?? "bridge"
                guard let gw = try await networks.network(net).gateway else {
                    throw BerthError.invalid("--add-host \(name):host-gateway: network \(net) has no gateway")
                }
                ip = gw
            }
            out.append((name, ip))
        }
        return out
    }

    func resolvConf(_ spec: ContainerSpec) async throws -> String {
        let host = (try? FileSystem.readText(config.hostResolvConf)) ?? ""
        var nameservers: [String] = []
        var search: [String] = []
        var options: [String] = []
        for line in host.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first else { continue }
            switch key {
            case "nameserver": if words.count > 1 { nameservers.append(words[1]) }
            case "search", "domain": search = Array(words.dropFirst())
            case "options": options += words.dropFirst()
            default: break
            }
        }
        if spec.networkMode == "host" && spec.dns.isEmpty && spec.dnsSearch.isEmpty && spec.dnsOptions.isEmpty {
            return host
        }
        if !spec.dnsSearch.isEmpty { search = spec.dnsSearch }
        if !spec.dnsOptions.isEmpty { options = spec.dnsOptions }
        var userDefined = false
        if let first = spec.networks.first { userDefined = !(try await networks.network(first.network).predefined) }
        if userDefined {
            // The embedded resolver answers container names and forwards the rest (to --dns servers
            // when given, else the host's).
            nameservers = ["127.0.0.11"]
            if !options.contains(where: { $0.hasPrefix("ndots:") }) { options.append("ndots:0") }
        } else if !spec.dns.isEmpty {
            nameservers = spec.dns
        } else {
            // A loopback resolver of the host is unreachable from the container's own namespace.
            nameservers = nameservers.filter { !$0.hasPrefix("127.") && $0 != "::1" }
            if nameservers.isEmpty { nameservers = ["8.8.8.8", "8.8.4.4"] }
        }
        var out = nameservers.map { "nameserver \($0)" }
        if !search.isEmpty { out.append("search " + search.joined(separator: " ")) }
        if !options.isEmpty { out.append("options " + options.joined(separator: " ")) }
        return out.joined(separator: "\n") + "\n"
    }

    /// The runtime configuration of a container: its command, namespaces, limits and files.
    func runtimeConfig(_ c: ContainerRecord, spec: ContainerSpec, network: NamespaceMode) throws -> ContainerRuntimeConfig {
        let f = files(c.id)
        guard !spec.argv.isEmpty else {
            throw BerthError.invalid("no command specified for container \(c.name): the image has none; give one after the image name")
        }
        var rc = ContainerRuntimeConfig(id: c.id, rootfs: f.rootfs, args: spec.argv)
        rc.env = spec.env
        rc.cwd = spec.workingDir.isEmpty ? "/" : spec.workingDir
        rc.user = spec.user
        rc.terminal = spec.tty
        rc.hostname = spec.hostname
        rc.domainname = spec.domainname
        rc.network = network
        rc.pid = try namespaceMode(spec.pidMode, kind: "pid", flag: "--pid")
        rc.ipc = try namespaceMode(spec.ipcMode, kind: "ipc", flag: "--ipc")
        rc.uts = try namespaceMode(spec.utsMode, kind: "uts", flag: "--uts")
        // `--network host` alone keeps a private UTS namespace holding the host's name (set at create), as
        // Docker does (only `--uts host` shares it): `hostname x` in such a container cannot rename the host.
        rc.capAdd = spec.capAdd
        rc.capDrop = spec.capDrop
        rc.privileged = spec.privileged
        rc.memoryBytes = spec.memory > 0 ? spec.memory : nil
        rc.nanoCPUs = spec.nanoCPUs > 0 ? spec.nanoCPUs : nil
        rc.pidsLimit = spec.pidsLimit > 0 ? spec.pidsLimit : nil
        rc.cgroupsPath = "/berth/\(c.id)"
        rc.sysctls = spec.sysctls
        rc.binds = [
            BindMount(source: f.hosts, destination: "/etc/hosts", readOnly: false),
            BindMount(source: f.hostname, destination: "/etc/hostname", readOnly: false),
            BindMount(source: f.resolvConf, destination: "/etc/resolv.conf", readOnly: false),
        ]
        return rc
    }

    /// `--pid`/`--ipc`/`--uts`: "" (own namespace), `host`, or `container:<name|id>`.
    func namespaceMode(_ mode: String, kind: String, flag: String) throws -> NamespaceMode {
        if mode.isEmpty || mode == "private" || mode == "shareable" { return .private }
        if mode == "host" { return .host }
        if mode.hasPrefix("container:") {
            let other = try container(String(mode.dropFirst("container:".count)))
            guard other.state == .running, other.pid > 0 else {
                throw BerthError.conflict("cannot join the \(kind) namespace of container \(other.name): it is not running")
            }
            return .path("/proc/\(other.pid)/ns/\(kind)")
        }
        throw BerthError.invalid("invalid \(flag) mode \"\(mode)\": use host or container:<name|id>")
    }
}
