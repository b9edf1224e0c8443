import ArgumentParser
import BerthAPI
import BerthClient
import BerthCore
import Foundation

/// The flags `berth run` and `berth create` share (Docker's names).
struct CreateOptions: ParsableArguments {
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Option(name: [.short, .long], help: "Set an environment variable (KEY=value, or KEY to copy it from here).")
    var env: [String] = []
    @Option(name: .customLong("env-file"), help: "Read environment variables from a file (KEY=value lines).")
    var envFile: [String] = []
    @Option(name: [.short, .long], help: "Set a label (key=value).") var label: [String] = []
    @Option(name: [.short, .customLong("publish")], help: "Publish a port: [ip:][hostPort:]containerPort[/tcp|udp], ranges allowed.")
    var publish: [String] = []
    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish every exposed port on a free host port.")
    var publishAll = false
    @Option(name: .long, help: "Expose a port or range without publishing it.") var expose: [String] = []
    @Option(name: [.customLong("network"), .customLong("net")], help: "Network: bridge (default), host, none, container:<name|id>, or a network's name.")
    var network: String?
    @Option(name: .customLong("network-alias"), help: "Another DNS name of the container on its network.")
    var networkAlias: [String] = []
    @Option(name: .long, help: "IPv4 address on the network (user-defined networks).") var ip: String?
    @Option(name: .customLong("mac-address"), help: "MAC address (default 02:42 followed by the IP's bytes).")
    var macAddress: String?
    @Option(name: .customLong("add-host"), help: "Add a line to /etc/hosts (name:ip; ip may be host-gateway).")
    var addHost: [String] = []
    @Option(name: .long, help: "DNS server for the container's resolv.conf.") var dns: [String] = []
    @Option(name: .customLong("dns-search"), help: "DNS search domain.") var dnsSearch: [String] = []
    @Option(name: .customLong("dns-option"), help: "DNS resolver option.") var dnsOption: [String] = []
    @Option(name: [.customShort("h"), .long], help: "Container host name (default: the first 12 hex of its id).")
    var hostname: String?
    @Option(name: .long, help: "Container domain name.") var domainname: String?
    @Option(name: [.short, .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: [.short, .long], help: "User: name or uid, optionally :group or :gid.") var user: String?
    @Option(name: .long, help: "Override the image's ENTRYPOINT.") var entrypoint: String?
    @Option(name: .customLong("cap-add"), help: "Add a Linux capability (e.g. NET_ADMIN, or ALL).") var capAdd: [String] = []
    @Option(name: .customLong("cap-drop"), help: "Drop a Linux capability.") var capDrop: [String] = []
    @Flag(name: .long, help: "Give the container every capability and device.") var privileged = false
    @Option(name: [.short, .long], help: "Memory limit (e.g. 50m, 1g).") var memory: String?
    @Option(name: .long, help: "Number of CPUs (e.g. 1.5).") var cpus: Double?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes.") var pidsLimit: Int64?
    @Option(name: .long, help: "PID namespace: host or container:<name|id>.") var pid: String?
    @Option(name: .long, help: "IPC namespace: host or container:<name|id>.") var ipc: String?
    @Option(name: .long, help: "UTS namespace: host.") var uts: String?
    @Option(name: .long, help: "OCI runtime (must be the one berthd uses; see berth info).") var runtime: String?
    @Option(name: .customLong("stop-signal"), help: "Signal that stops the container (default SIGTERM).")
    var stopSignal: String?
    @Option(name: .customLong("stop-timeout"), help: "Seconds to wait after the stop signal before SIGKILL.")
    var stopTimeout: Int?
    @Option(name: .long, help: "Namespaced kernel parameter (key=value).") var sysctl: [String] = []
    @Option(name: .long, help: "Restart policy: no (default), always, unless-stopped, or on-failure[:max-retries].")
    var restart: String?
    @Flag(name: [.short, .long], help: "Keep the container's STDIN open (run without -d attaches yours).")
    var interactive = false
    @Flag(name: [.short, .long], help: "Give the container a pseudo-TTY.") var tty = false

    /// Docker's create body from the flags, the image and the command.
    func request(image: String, command: [String]) throws -> ContainerCreateRequest {
        var r = ContainerCreateRequest()
        r.Image = image
        if !command.isEmpty { r.Cmd = StringOrList(command) }
        if let entrypoint { r.Entrypoint = StringOrList(entrypoint.isEmpty ? [""] : [entrypoint]) }
        var environment: [String] = []
        let here = ProcessInfo.processInfo.environment
        for file in envFile {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw BerthError.invalid("cannot read env file \(file): \(error.localizedDescription)")
            }
            for line in text.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                if t.isEmpty || t.hasPrefix("#") { continue }
                environment.append(t)
            }
        }
        environment += env
        r.Env = environment.compactMap { kv in
            if kv.contains("=") { return kv }
            return here[kv].map { "\(kv)=\($0)" }
        }
        var labels: [String: String] = [:]
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
            labels[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        r.Labels = labels
        var exposed: [String: EmptyObject] = [:]
        for e in expose { for key in try PortSpec.exposed(e) { exposed[key] = EmptyObject() } }
        var bindings: [String: [PortBindingJSON]?] = [:]
        for p in publish {
            for entry in try PortSpec.parse(p) {
                exposed[entry.key] = EmptyObject()
                bindings[entry.key] = .some(((bindings[entry.key] ?? nil) ?? []) + [entry.binding])
            }
        }
        r.ExposedPorts = exposed.isEmpty ? nil : exposed
        r.Hostname = hostname
        r.Domainname = domainname
        r.WorkingDir = workdir
        r.User = user
        r.StopSignal = stopSignal
        r.StopTimeout = stopTimeout
        r.Tty = tty
        r.OpenStdin = interactive
        r.AttachStdout = true
        r.AttachStderr = true
        var hc = HostConfig()
        hc.NetworkMode = network ?? "bridge"
        hc.PortBindings = bindings
        hc.PublishAllPorts = publishAll
        hc.ExtraHosts = addHost
        hc.Dns = dns
        hc.DnsSearch = dnsSearch
        hc.DnsOptions = dnsOption
        hc.CapAdd = capAdd
        hc.CapDrop = capDrop
        hc.Privileged = privileged
        if let memory { hc.Memory = try CreateOptions.bytes(memory) }
        if let cpus {
            guard cpus > 0 else { throw BerthError.invalid("--cpus must be greater than 0") }
            hc.NanoCpus = Int64(cpus * 1e9)
        }
        hc.PidsLimit = pidsLimit
        hc.PidMode = pid
        hc.IpcMode = ipc
        hc.UTSMode = uts
        hc.Runtime = runtime
        if let restart { hc.RestartPolicy = try CreateOptions.restartPolicy(restart) }
        var sysctls: [String: String] = [:]
        for s in sysctl {
            let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw BerthError.invalid("invalid --sysctl \"\(s)\": expected key=value") }
            sysctls[parts[0]] = parts[1]
        }
        hc.Sysctls = sysctls.isEmpty ? nil : sysctls
        r.HostConfig = hc
        let mode = network ?? "bridge"
        if !networkAlias.isEmpty || ip != nil || macAddress != nil {
            guard !["host", "none"].contains(mode), !mode.hasPrefix("container:") else {
                throw BerthError.invalid("--network-alias, --ip and --mac-address need a bridge or user-defined network, not \(mode)")
            }
            var ep = EndpointSettings()
            ep.Aliases = networkAlias.isEmpty ? nil : networkAlias
            if let ip { ep.IPAMConfig = EndpointIPAMConfig(IPv4Address: ip) }
            ep.MacAddress = macAddress
            r.NetworkingConfig = NetworkingConfig(EndpointsConfig: [mode: ep])
        }
        return r
    }

    /// `--restart no|always|unless-stopped|on-failure[:N]`.
    static func restartPolicy(_ text: String) throws -> RestartPolicy {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        guard ["no", "always", "unless-stopped", "on-failure"].contains(name) else {
            throw BerthError.invalid("invalid restart policy \"\(text)\": use no, always, unless-stopped or on-failure[:max-retries]")
        }
        guard parts.count == 1 || name == "on-failure" else {
            throw BerthError.invalid("invalid restart policy \"\(text)\": only on-failure takes a maximum retry count")
        }
        var retries = 0
        if parts.count == 2 {
            guard let n = Int(parts[1]), n >= 0 else {
                throw BerthError.invalid("invalid restart policy \"\(text)\": the maximum retry count must be a number ≥ 0")
            }
            retries = n
        }
        return RestartPolicy(Name: name, MaximumRetryCount: retries)
    }

    /// Docker's memory sizes: 50m, 1g, 512k, 1024b, plain bytes.
    static func bytes(_ text: String) throws -> Int64 {
        let t = text.lowercased()
        let units: [(String, Int64)] = [("kb", 1024), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1024), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            if let n = Double(t.dropLast(suffix.count)), n >= 0 { return Int64(n * Double(factor)) }
        }
        guard let n = Int64(t), n >= 0 else {
            throw BerthError.invalid("invalid size \"\(text)\": use a number with an optional unit b, k, m or g (e.g. 50m)")
        }
        return n
    }
}
