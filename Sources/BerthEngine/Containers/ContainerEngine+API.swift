import BerthAPI
import BerthAddressing
import BerthCore
import BerthImage
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem
import Foundation

/// The Docker API's view of containers: create bodies in, inspect/list out.
extension ContainerEngine: ContainerService {
    public func createContainer(_ request: ContainerCreateRequest, name: String?) async throws -> ContainerCreateResponse {
        let spec = try makeSpec(request)
        let record = try await create(spec, name: name.flatMap { $0.isEmpty ? nil : $0 })
        return ContainerCreateResponse(Id: record.id)
    }

    public func createContainer(_ request: ContainerCreateRequest, json: String, name: String?) async throws
        -> ContainerCreateResponse
    {
        let spec = try makeSpec(request, json: json)
        let record = try await create(spec, name: name.flatMap { $0.isEmpty ? nil : $0 })
        return ContainerCreateResponse(Id: record.id)
    }

    /// Validates a create body and resolves it against its image (Docker's rules for CMD/ENTRYPOINT,
    /// environment and exposed ports).
    /// `json`: the request's text as the client sent it, kept as `request` (else `r` is encoded).
    func makeSpec(_ r: ContainerCreateRequest, json: String? = nil) throws -> ContainerSpec {
        guard let imageRef = r.Image, !imageRef.isEmpty else {
            throw BerthError.invalid("no image given: name the image to run, e.g. busybox")
        }
        let image = try images.resolve(imageRef)
        let ic = image.config
        let hc = r.HostConfig ?? HostConfig()
        var s = ContainerSpec(image: imageRef, imageId: image.id)
        if let ep = r.Entrypoint {
            s.entrypoint = ep.values == [""] ? [] : ep.values
            s.cmd = r.Cmd?.values ?? []
        } else {
            s.entrypoint = ic.entrypoint ?? []
            s.cmd = r.Cmd?.values ?? ic.cmd ?? []
        }
        s.env = ContainerEngine.mergeEnv(ic.env ?? [], r.Env ?? [])
        for e in r.Env ?? [] where e.hasPrefix("=") || e.isEmpty {
            throw BerthError.invalid("invalid environment variable \"\(e)\": expected KEY=value")
        }
        s.workingDir = r.WorkingDir.flatMap { $0.isEmpty ? nil : $0 } ?? ic.workingDir ?? ""
        if !s.workingDir.isEmpty && !s.workingDir.hasPrefix("/") {
            throw BerthError.invalid("the working directory \"\(s.workingDir)\" is invalid: it must be an absolute path")
        }
        s.user = r.User.flatMap { $0.isEmpty ? nil : $0 } ?? ic.user ?? ""
        s.hostname = r.Hostname ?? ""
        s.domainname = r.Domainname ?? ""
        s.labels = (ic.labels ?? [:]).merging(r.Labels ?? [:]) { _, new in new }
        s.tty = r.Tty ?? false
        s.openStdin = r.OpenStdin ?? false
        s.stdinOnce = r.StdinOnce ?? false
        s.stopSignal = r.StopSignal.flatMap { $0.isEmpty ? nil : $0 } ?? ic.stopSignal ?? "SIGTERM"
        s.stopTimeout = r.StopTimeout ?? 10
        // Networking.
        var mode = hc.NetworkMode ?? ""
        if mode.isEmpty || mode == "default" { mode = "bridge" }
        s.networkMode = mode
        // Docker's CLI names the default network "default" in both places.
        var endpoints: [String: EndpointSettings] = [:]
        for (name, ep) in r.NetworkingConfig?.EndpointsConfig ?? [:] { endpoints[name == "default" ? "bridge" : name] = ep }
        if mode == "host" || mode == "none" || mode.hasPrefix("container:") {
            if !endpoints.isEmpty && !(endpoints.count == 1 && endpoints[mode] != nil) {
                throw BerthError.invalid("container cannot be connected to other networks in the \(mode.hasPrefix("container:") ? "container" : mode) network mode")
            }
        } else {
            var first = ContainerEngine.attachment(mode, endpoints[mode])
            if first.mac == nil { first.mac = r.MacAddress.flatMap { $0.isEmpty ? nil : $0 } }
            s.networks = [first] + endpoints.sorted(by: { $0.key < $1.key }).filter { $0.key != mode }.map {
                ContainerEngine.attachment($0.key, $0.value)
            }
        }
        // Exposed ports as numbers (a range key is many), stored folded into runs ("8000-8999/tcp").
        var exposed: [(port: UInt16, proto: String)] = []
        for key in (ic.exposedPorts ?? [:]).keys {
            // An image's own odd key is left out, not an error for every container made from it.
            if let k = try? PortKey(key) { exposed += k.ports.map { ($0, k.proto) } }
        }
        for key in (r.ExposedPorts ?? [:]).keys {
            let k = try PortKey(key)
            exposed += k.ports.map { ($0, k.proto) }
        }
        // In container port order (not the dictionary's): a published range stays a run of consecutive
        // ports, which the store keeps as one row.
        var portKeys: [(key: PortKey, text: String, bindings: [PortBindingJSON]?)] = []
        for (text, bindings) in hc.PortBindings ?? [:] { portKeys.append((try PortKey(text), text, bindings)) }
        portKeys.sort { ($0.key.proto, $0.key.ports.lowerBound) < ($1.key.proto, $1.key.ports.lowerBound) }
        for (key, text, bindings) in portKeys {
            exposed += key.ports.map { ($0, key.proto) }
            for b in (bindings ?? []).isEmpty ? [PortBindingJSON()] : bindings ?? [] {
                let hostPortText = b.HostPort ?? ""
                // A host range with one container port: the first free port of the range, at start.
                // With a container port range: the host range of the same length, port for port.
                let ends = hostPortText.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
                guard hostPortText.isEmpty || (ends.count <= 2 && ends.allSatisfy { $0 != nil && $0 != 0 }),
                    ends.count < 2 || ends[0]! <= ends[1]!
                else {
                    throw BerthError.invalid("invalid host port \"\(hostPortText)\" for \(text): expected a port or a range such as 8000-8010")
                }
                let hostIP = b.HostIp ?? ""
                if !hostIP.isEmpty && IPv4Address(hostIP) == nil {
                    throw BerthError.invalid("invalid host IP \"\(hostIP)\" for \(text): berth publishes on IPv4 addresses")
                }
                let hostPort = hostPortText.isEmpty ? 0 : ends[0]!
                let hostPortEnd = ends.count == 2 ? ends[1]! : 0
                if key.ports.count == 1 {
                    s.ports.append(
                        PortBinding(proto: key.proto, hostIP: hostIP, hostPort: hostPort, hostPortEnd: hostPortEnd, containerPort: key.ports.lowerBound))
                    continue
                }
                guard hostPort == 0 || Int(hostPortEnd) - Int(hostPort) + 1 == key.ports.count else {
                    throw BerthError.invalid(
                        "invalid host port \"\(hostPortText)\" for \(text): a range of \(key.ports.count) container ports takes a host range of the same length, or no host port")
                }
                for (i, port) in key.ports.enumerated() {
                    s.ports.append(
                        PortBinding(proto: key.proto, hostIP: hostIP, hostPort: hostPort == 0 ? 0 : hostPort + UInt16(i), containerPort: port))
                }
            }
        }
        s.exposedPorts = PortKey.runs(exposed).map(\.text)
        s.publishAll = hc.PublishAllPorts ?? false
        s.pidMode = hc.PidMode ?? ""
        s.ipcMode = hc.IpcMode ?? ""
        s.utsMode = hc.UTSMode ?? ""
        s.capAdd = hc.CapAdd ?? []
        s.capDrop = hc.CapDrop ?? []
        s.privileged = hc.Privileged ?? false
        s.memory = hc.Memory ?? 0
        if s.memory > 0 && s.memory < 6 * 1024 * 1024 {
            throw BerthError.invalid("Minimum memory limit allowed is 6MB")
        }
        s.nanoCPUs = hc.NanoCpus ?? 0
        if s.nanoCPUs == 0, let q = hc.CpuQuota, q > 0 {
            s.nanoCPUs = q * 1_000_000_000 / max(1, hc.CpuPeriod ?? 100_000)
        }
        s.pidsLimit = hc.PidsLimit ?? 0
        s.extraHosts = hc.ExtraHosts ?? []
        s.dns = hc.Dns ?? []
        for server in s.dns where IPv4Address(server) == nil && IPv6Address(server) == nil {
            throw BerthError.invalid("the DNS server \"\(server)\" is invalid: --dns takes an IP address (e.g. --dns 10.0.0.2)")
        }
        s.dnsSearch = hc.DnsSearch ?? []
        s.dnsOptions = hc.DnsOptions ?? []
        s.autoRemove = hc.AutoRemove ?? false
        s.restartPolicy = try RestartRule.specText(
            name: hc.RestartPolicy?.Name, maxRetries: hc.RestartPolicy?.MaximumRetryCount, autoRemove: s.autoRemove)
        s.sysctls = hc.Sysctls ?? [:]
        if let runtime = hc.Runtime, !runtime.isEmpty, runtime != config.runtime.name {
            throw BerthError.invalid(
                "runtime \(runtime) is not the one berthd uses (\(config.runtime.name)); start berthd with --runtime \(runtime)")
        }
        // Checked now so a bad value fails at create, not at start.
        _ = try Capabilities.effective(add: s.capAdd, drop: s.capDrop, privileged: s.privileged)
        for mode in [s.pidMode, s.ipcMode, s.utsMode] where !(mode.isEmpty || mode == "host" || mode == "private" || mode == "shareable" || mode.hasPrefix("container:")) {
            throw BerthError.invalid("invalid namespace mode \"\(mode)\": use host or container:<name|id>")
        }
        if let json {
            s.request = json
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            s.request = String(decoding: try encoder.encode(r), as: UTF8.self)
        }
        return s
    }

    /// What an endpoint setting of the API asks for (empty strings mean "not given", as Docker sends them).
    static func attachment(_ network: String, _ ep: EndpointSettings?) -> NetworkAttachment {
        NetworkAttachment(
            network: network, aliases: ep?.Aliases ?? [], ipv4: ep?.IPAMConfig?.IPv4Address.flatMap { $0.isEmpty ? nil : $0 },
            mac: ep?.MacAddress.flatMap { $0.isEmpty ? nil : $0 })
    }

    static func mergeEnv(_ base: [String], _ overrides: [String]) -> [String] {
        var out = base
        for kv in overrides {
            let key = kv.split(separator: "=", maxSplits: 1).first.map(String.init) ?? kv
            if let i = out.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) { out[i] = kv } else { out.append(kv) }
        }
        return out
    }

    public func startContainer(_ ref: String) async throws {
        // A start the user asks for re-arms the restart policy a stop disarmed, and (as in Docker)
        // begins a new count of restarts.
        var c = try container(ref)
        markStoppedByUser(c.id, false)
        restartDelays[c.id] = nil
        if c.state != .running && c.restartCount != 0 {
            c.restartCount = 0
            try save(c)
        }
        try await start(ref)
    }
    public func stopContainer(_ ref: String, timeout: Int?) async throws { try await stop(ref, timeout: timeout) }
    public func restartContainer(_ ref: String, timeout: Int?) async throws { try await restart(ref, timeout: timeout) }
    public func killContainer(_ ref: String, signal: String?) async throws { try await kill(ref, signal: signal) }
    public func removeContainer(_ ref: String, force: Bool) async throws { try await remove(ref, force: force) }

    public func checkWaitable(_ ref: String) throws {
        if removedExitCodes[ref] == nil { _ = try container(ref) }
    }

    public func waitContainer(_ ref: String, condition: String) async throws -> ContainerWaitResponse {
        ContainerWaitResponse(StatusCode: try await wait(ref, condition: condition))
    }

    // MARK: inspect and list

    public func inspectContainer(_ ref: String) async throws -> ContainerInspect {
        let c = try container(ref)
        let spec = try spec(of: c)
        let request = (try? JSONDecoder().decode(ContainerCreateRequest.self, from: Data(spec.request.utf8)))
            ?? ContainerCreateRequest()
        var config = request.config
        config.Hostname = spec.hostname
        config.Domainname = spec.domainname
        config.User = spec.user
        config.Env = spec.env
        config.Cmd = StringOrList(spec.cmd)
        config.Entrypoint = spec.entrypoint.isEmpty ? nil : StringOrList(spec.entrypoint)
        config.WorkingDir = spec.workingDir
        config.Labels = spec.labels
        config.Image = spec.image
        config.ExposedPorts = spec.exposedPorts.isEmpty ? nil : Dictionary(spec.exposedPortKeys.map { ($0, EmptyObject()) }, uniquingKeysWith: { a, _ in a })
        config.StopSignal = spec.stopSignal
        var hostConfig = request.HostConfig ?? HostConfig()
        hostConfig.NetworkMode = spec.networkMode
        let f = files(c.id)
        let running = c.state == .running
        let status = c.state == .starting ? "created" : c.state.rawValue
        var state = ContainerState(
            Status: status, Running: running, Pid: running ? c.pid : 0, ExitCode: c.exitCode, Error: c.error,
            StartedAt: c.startedAt.isEmpty ? ContainerState.zeroTime : c.startedAt,
            FinishedAt: c.finishedAt.isEmpty ? ContainerState.zeroTime : c.finishedAt, OOMKilled: c.oomKilled)
        if pendingRestarts.contains(c.id) {
            state.Restarting = true
            state.Status = "restarting"
        }
        let argv = spec.argv
        return ContainerInspect(
            Id: c.id, Created: c.created, Path: argv.first ?? "", Args: Array(argv.dropFirst()), State: state,
            Image: c.imageId, ResolvConfPath: f.resolvConf, HostnamePath: f.hostname, HostsPath: f.hosts, LogPath: f.log,
            Name: "/" + c.name, RestartCount: c.restartCount,
            ExecIDs: { let ids = execs.values.filter { $0.containerId == c.id }.map(\.id); return ids.isEmpty ? nil : ids }(),
            HostConfig: hostConfig, Config: config, NetworkSettings: try await networkSettings(c, spec: spec))
    }

    func networkSettings(_ c: ContainerRecord, spec: ContainerSpec) async throws -> NetworkSettings {
        var ns = NetworkSettings()
        if spec.networkMode.hasPrefix("container:") {
            // The same network as the container it joined, like Docker shows it: empty of its own.
            return ns
        }
        ns.SandboxID = c.sandbox.isEmpty ? "" : String(c.id)
        ns.SandboxKey = c.sandbox
        let eps = try await networks.endpoints(owner: c.id)
        let nets = try await networks.networks()
        var ports: [String: [PortBindingJSON]?] = [:]
        for key in spec.exposedPortKeys { ports[key] = .some(nil) }
        for ep in eps.sorted(by: { $0.sandboxInterface < $1.sandboxInterface }) {
            guard let n = nets.first(where: { $0.id == ep.networkId }) else { continue }
            var s = EndpointSettings()
            s.NetworkID = n.id
            s.EndpointID = ep.id
            s.Gateway = n.gateway ?? ""
            s.IPAddress = ep.ipv4 ?? ""
            s.IPPrefixLen = ep.prefixLength
            s.MacAddress = ep.mac
            s.IPv6Gateway = ""
            s.GlobalIPv6Address = ""
            s.GlobalIPv6PrefixLen = 0
            s.Aliases = n.predefined ? nil : ep.aliases
            s.DNSNames = n.predefined ? nil : [c.name, String(c.id.prefix(12))] + ep.aliases
            s.DriverOpts = nil
            s.Links = nil
            if let a = spec.networks.first(where: { $0.network == n.name || $0.network == n.id }), let ip = a.ipv4 {
                s.IPAMConfig = EndpointIPAMConfig(IPv4Address: ip)
            }
            ns.Networks[n.name] = s
            if ep.sandboxInterface == "eth0" {
                ns.EndpointID = ep.id
                ns.Gateway = s.Gateway ?? ""
                ns.IPAddress = s.IPAddress ?? ""
                ns.IPPrefixLen = ep.prefixLength
                ns.MacAddress = ep.mac
                ns.Bridge = ""
            }
            for m in try await networks.portMappings(endpoint: ep.id) {
                let key = "\(m.containerPort)/\(m.proto)"
                var list = (ports[key] ?? nil) ?? []
                list.append(PortBindingJSON(HostIp: m.hostIP.isEmpty ? "0.0.0.0" : m.hostIP, HostPort: String(m.hostPort)))
                ports[key] = .some(list)
            }
        }
        ns.Ports = c.state == .running ? ports : [:]
        if spec.networkMode != "host" && spec.networkMode != "none" && c.state != .running {
            // A stopped container keeps its network names, without addresses (like Docker).
            for a in spec.networks where ns.Networks[a.network] == nil {
                var s = EndpointSettings()
                s.NetworkID = (try? await networks.network(a.network).id) ?? ""
                s.Aliases = a.aliases
                ns.Networks[a.network] = s
            }
        }
        if spec.networkMode == "host" {
            var s = EndpointSettings()
            s.NetworkID = (try? await networks.network("host").id) ?? ""
            ns.Networks["host"] = s
        }
        if spec.networkMode == "none" {
            var s = EndpointSettings()
            s.NetworkID = (try? await networks.network("none").id) ?? ""
            ns.Networks["none"] = s
        }
        return ns
    }

    public func listContainers(all: Bool, filters: ContainerFilters) async throws -> [ContainerSummary] {
        var out: [ContainerSummary] = []
        let imageList = (try? images.list()) ?? []
        for c in try list().reversed() {
            let restarting = pendingRestarts.contains(c.id)
            if !all && c.state != .running && !restarting && filters.values["status"] == nil && filters.values["exited"] == nil { continue }
            let spec = try spec(of: c)
            let settings = try await networkSettings(c, spec: spec)
            var ports: [ContainerPort] = []
            for (key, bindings) in settings.Ports.sorted(by: { $0.key < $1.key }) {
                let k = try? PortKey(key)
                let (port, proto) = (k?.ports.lowerBound ?? 0, k?.proto ?? "tcp")
                if let bindings, !bindings.isEmpty {
                    for b in bindings {
                        ports.append(ContainerPort(IP: b.HostIp, PrivatePort: Int(port), PublicPort: Int(b.HostPort ?? "") ?? 0, Type: proto))
                    }
                } else {
                    ports.append(ContainerPort(PrivatePort: Int(port), Type: proto))
                }
            }
            // Waiting out a restart policy's delay: Docker's "Restarting (1) 2 seconds ago".
            let status = restarting ? "restarting" : c.state == .starting ? "created" : c.state.rawValue
            let statusText =
                restarting
                ? "Restarting (\(c.exitCode)) "
                    + HumanDuration.text(seconds: Date().timeIntervalSince1970 - Double(ContainerEngine.unixTime(c.finishedAt))) + " ago"
                : ContainerEngine.statusText(c)
            let summary = ContainerSummary(
                Id: c.id, Names: ["/" + c.name], Image: c.image, ImageID: c.imageId,
                Command: ContainerEngine.commandText(spec.argv), Created: ContainerEngine.unixTime(c.created),
                Ports: ports, Labels: spec.labels, State: status, Status: statusText,
                NetworkMode: spec.networkMode, Networks: settings.Networks)
            let names = imageList.first { $0.id == c.imageId }?.repoTags ?? []
            if filters.matches(summary, exitCode: c.exitCode, imageNames: names + names.map { $0.replacingOccurrences(of: ":latest", with: "") }) {
                out.append(summary)
            }
        }
        return out
    }

    static func commandText(_ argv: [String]) -> String {
        argv.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
    }

    /// Seconds since the epoch of an RFC 3339 time (0 when unparsable).
    static func unixTime(_ rfc3339: String) -> Int64 {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let trimmed = ContainerEngine.trimFraction(rfc3339)
        return Int64((f.date(from: trimmed) ?? ISO8601DateFormatter().date(from: rfc3339))?.timeIntervalSince1970 ?? 0)
    }

    /// Foundation parses at most millisecond fractions.
    static func trimFraction(_ s: String) -> String {
        guard let dot = s.firstIndex(of: "."), let z = s.firstIndex(of: "Z") else { return s }
        let frac = s[s.index(after: dot)..<z]
        return String(s[...dot]) + String(frac.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) + "Z"
    }

    /// `docker ps`'s STATUS: "Up 5 seconds", "Exited (0) 3 minutes ago", "Created".
    static func statusText(_ c: ContainerRecord) -> String {
        let now = Date().timeIntervalSince1970
        switch c.state {
        case .running: return "Up " + HumanDuration.text(seconds: now - Double(unixTime(c.startedAt)))
        case .exited:
            if c.startedAt.isEmpty && c.finishedAt.isEmpty { return "Created" }
            return "Exited (\(c.exitCode)) " + HumanDuration.text(seconds: now - Double(unixTime(c.finishedAt))) + " ago"
        case .created, .starting: return "Created"
        case .removing: return "Removal In Progress"
        }
    }

    // MARK: logs, top, exec

    public func containerLogs(_ ref: String, options: LogOptions) async throws -> (tty: Bool, frames: AsyncThrowingStream<OutputFrame, any Error>) {
        let c = try container(ref)
        let spec = try spec(of: c)
        let attach = options.tail == -1
        let lines = try logs(
            c.id, stdout: options.stdout, stderr: options.stderr, tail: attach ? nil : options.tail,
            follow: options.follow, untilExit: attach)
        let stamps = options.timestamps
        let frames = AsyncThrowingStream<OutputFrame, any Error> { continuation in
            let task = Task {
                do {
                    for try await l in lines {
                        let text = (stamps ? l.time + " " : "") + l.log
                        continuation.yield(OutputFrame(stream: l.stream == "stderr" ? 2 : 1, bytes: Array(text.utf8)))
                    }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return (spec.tty, frames)
    }

    public func topContainer(_ ref: String, psArgs: String) async throws -> ContainerTopResponse {
        let (titles, rows) = try top(ref, psArgs: psArgs)
        return ContainerTopResponse(Titles: titles, Processes: rows)
    }

    public func execCreate(_ ref: String, _ request: ExecCreateRequest) async throws -> ExecCreateResponse {
        let id = try execCreate(
            ref, argv: request.Cmd ?? [], env: request.Env ?? [], user: request.User ?? "",
            workingDir: request.WorkingDir ?? "", tty: request.Tty ?? false, privileged: request.Privileged ?? false,
            attachStdin: request.AttachStdin ?? false)
        return ExecCreateResponse(Id: id)
    }

    public func resizeContainer(_ ref: String, height: Int, width: Int) async throws {
        try await resize(ref, rows: height, cols: width)
    }

    public func resizeExec(_ id: String, height: Int, width: Int) async throws {
        try resizeExec(id, rows: height, cols: width)
    }

    public func execStart(_ id: String, _ request: ExecStartRequest, input: AsyncStream<[UInt8]>?) async throws -> (tty: Bool, frames: AsyncThrowingStream<OutputFrame, any Error>) {
        let chunks = try execStart(id, input: input)
        let tty = try exec(id).tty
        let frames = AsyncThrowingStream<OutputFrame, any Error> { continuation in
            let task = Task {
                do {
                    for try await c in chunks { continuation.yield(OutputFrame(stream: c.stream, bytes: c.bytes)) }
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return (tty, frames)
    }

    public func execInspect(_ id: String) async throws -> ExecInspect {
        var e = try exec(id)
        if e.started && e.running, let code = await execExitCode(id) {
            e.exitCode = code
            e.running = false
        }
        var inspect = ExecInspect(
            ID: e.id, ContainerID: e.containerId, Running: e.running, ExitCode: e.exitCode, Pid: Int(e.pid),
            ProcessConfig: ExecProcessConfig(
                arguments: Array(e.argv.dropFirst()), entrypoint: e.argv.first ?? "", privileged: e.privileged,
                tty: e.tty, user: e.user))
        inspect.OpenStdin = e.attachStdin
        return inspect
    }

    // MARK: network connect/disconnect of containers

    public func connectNetwork(_ network: String, _ request: NetworkConnectRequest) async throws {
        var c = try container(request.Container)
        let n = try await networks.network(network)
        var spec = try spec(of: c)
        guard spec.networkMode != "host" && spec.networkMode != "none" && !spec.networkMode.hasPrefix("container:") else {
            throw BerthError.invalid("container \(c.name) uses the \(spec.networkMode) network mode and cannot join other networks")
        }
        if spec.networks.contains(where: { $0.network == n.name || $0.network == n.id }) && c.state != .running {
            throw BerthError.conflict("endpoint with name \(c.name) already exists in network \(n.name)")
        }
        let attachment = ContainerEngine.attachment(n.name, request.EndpointConfig)
        if c.state == .running {
            let used = Set(try await networks.endpoints(owner: c.id).map(\.sandboxInterface))
            let iface = (0..<64).map { "eth\($0)" }.first { !used.contains($0) } ?? "eth63"
            _ = try await networks.connect(
                EndpointRequest(
                    network: n.name, ownerId: c.id, ownerName: c.name, sandbox: c.sandbox, sandboxInterface: iface,
                    ipv4: attachment.ipv4, mac: attachment.mac, aliases: attachment.aliases, defaultRoute: false))
        }
        if !spec.networks.contains(where: { $0.network == n.name }) { spec.networks.append(attachment) }
        c = try container(c.id)
        try saveSpec(&c, spec)
    }

    public func disconnectNetwork(_ network: String, _ request: NetworkDisconnectRequest) async throws {
        var c = try container(request.Container)
        let n = try await networks.network(network)
        var spec = try spec(of: c)
        let ep = try await networks.endpoints(network: n.id).first { $0.ownerId == c.id }
        guard ep != nil || spec.networks.contains(where: { $0.network == n.name || $0.network == n.id }) else {
            throw BerthError.notFound("container \(c.name) is not connected to network \(n.name)")
        }
        if let ep { try await networks.disconnect(endpoint: ep.id) }
        spec.networks.removeAll { $0.network == n.name || $0.network == n.id }
        c = try container(c.id)
        try saveSpec(&c, spec)
    }

    func saveSpec(_ c: inout ContainerRecord, _ spec: ContainerSpec) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        c.spec = String(decoding: try encoder.encode(spec), as: UTF8.self)
        try save(c)
    }
}

extension ContainerEngine {
    /// What the container's resolver answers: every name on the user-defined networks it shares,
    /// straight from the view the resolver itself consults on each query.
    public func dnsReport(_ ref: String) async throws -> ContainerDNSReport {
        let c = try container(ref)
        let nets = try await networks.networks()
        let name = { (id: String) in nets.first { $0.id == id }?.name ?? id }
        let resolv = (try? FileSystem.readText(files(c.id).resolvConf)) ?? ""
        guard c.state == .running, !c.sandbox.isEmpty else {
            return ContainerDNSReport(Container: c.name, Embedded: false, Networks: [], Names: [], ResolvConf: resolv)
        }
        let view = await networks.dnsView(sandbox: c.sandbox)
        var names: [DNSNameEntry] = []
        for r in view.records {
            for n in r.names {
                names.append(DNSNameEntry(Name: n.labels.joined(separator: "."), Address: r.address.description, Network: name(r.network)))
            }
        }
        for (id, gw) in view.gateways {
            names.append(DNSNameEntry(Name: "host.docker.internal", Address: gw.description, Network: name(id)))
        }
        return ContainerDNSReport(
            Container: c.name, Embedded: !view.askerNetworks.isEmpty, Networks: view.askerNetworks.map(name),
            Names: names.sorted { ($0.Network, $0.Name) < ($1.Network, $1.Name) }, ResolvConf: resolv)
    }
}
