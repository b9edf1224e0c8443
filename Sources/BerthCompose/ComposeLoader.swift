import BerthCore
import Foundation

/// Reads compose files into a validated `ComposeProject`. Every problem names the file, line,
/// service and key; nothing is created by this module, so a bad file changes nothing.
public enum ComposeLoader {
    /// The files `docker compose` finds by default, in its order of preference.
    public static let defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]

    /// Loads `files` (merged in order) from `directory`, with `.env` there (or `envFiles` instead)
    /// and `environment` for interpolation (the process environment wins over `.env`, as in Docker).
    public static func load(
        files: [String], directory: String, projectName: String?, environment: [String: String],
        envFiles: [String]? = nil
    ) throws -> ComposeProject {
        var paths = files.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
        if paths.isEmpty {
            guard
                let found = defaultFileNames.map({ directory + "/" + $0 }).first(where: FileManager.default.fileExists)
            else {
                throw BerthError.notFound(
                    "no compose file in \(directory): expected one of \(defaultFileNames.joined(separator: ", ")), or pass -f FILE"
                )
            }
            paths = [found]
        }
        var variables: [String: String] = [:]
        if let envFiles {
            for file in envFiles {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw BerthError.invalid("cannot read env file \(file) (--env-file)")
                }
                variables.merge(Interpolation.parseDotEnv(text)) { _, new in new }
            }
        } else {
            variables =
                (try? String(contentsOfFile: directory + "/.env", encoding: .utf8)).map(Interpolation.parseDotEnv)
                ?? [:]
        }
        variables.merge(environment) { _, env in env }
        var tree: YAMLTree?
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw BerthError.notFound("cannot read compose file \(path)")
            }
            let t = try YAMLTree.parse(text, file: (path as NSString).lastPathComponent, variables: variables)
            tree = tree.map { YAMLTree.merge($0, t) } ?? t
        }
        let fallbackName = (directory as NSString).lastPathComponent
        var project = try parse(
            tree ?? .null(.init(file: "compose", line: 1)), projectName: projectName, fallbackName: fallbackName,
            variables: variables)
        // env_file: read relative to the project directory; `environment` wins over the files.
        for i in project.services.indices {
            var fromFiles: [String: String] = [:]
            for file in project.services[i].envFiles {
                let path = file.path.hasPrefix("/") ? file.path : directory + "/" + file.path
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw BerthError.invalid(
                        "\(file.origin): service \(project.services[i].name), key env_file: cannot read \(path); create it or remove it from env_file"
                    )
                }
                fromFiles.merge(Interpolation.parseDotEnv(text)) { _, new in new }
            }
            project.services[i].environment = fromFiles.merging(project.services[i].environment) { _, own in own }
        }
        project.directory = directory
        return project
    }

    /// Parses and validates an already-read tree.
    static func parse(_ root: YAMLTree, projectName: String?, fallbackName: String, variables: [String: String] = [:])
        throws -> ComposeProject
    {
        var warnings: [String] = []
        guard let top = root.entries else {
            throw BerthError.invalid("\(root.origin): a compose file is a mapping with a services key")
        }
        let topKeys: Set<String> = ["version", "name", "services", "networks", "volumes", "configs", "secrets"]
        for (k, v) in top where !topKeys.contains(k) && !k.hasPrefix("x-") {
            warnings.append("\(v.origin): unknown top-level key \"\(k)\" is ignored")
        }
        let name = sanitize(projectName ?? root["name"]?.string ?? fallbackName)
        guard !name.isEmpty else {
            throw BerthError.invalid(
                "project name is empty after removing characters Compose does not allow; pass -p NAME")
        }
        var networks: [ComposeNetwork] = []
        for (key, value) in root["networks"]?.entries ?? [] {
            networks.append(try parseNetwork(key: key, value, project: name, warnings: &warnings))
        }
        guard let serviceEntries = root["services"]?.entries, !serviceEntries.isEmpty else {
            throw BerthError.invalid("\(root.origin): the compose file defines no services")
        }
        var services: [ComposeService] = []
        for (key, value) in serviceEntries {
            services.append(try parseService(key, value, networks: networks, variables: variables, warnings: &warnings))
        }
        // network_mode service:X names a service of this file, and starts after it.
        let origins = Dictionary(
            uniqueKeysWithValues: serviceEntries.map { ($0.key, $0.value["network_mode"]?.origin ?? $0.value.origin) })
        for i in services.indices {
            guard case .service(let other) = services[i].networkMode else { continue }
            guard services.contains(where: { $0.name == other }) else {
                throw BerthError.invalid(
                    "\(origins[services[i].name].map { "\($0): " } ?? "")service \(services[i].name), key network_mode: service \"\(other)\" is not defined in this project"
                )
            }
            if !services[i].dependsOn.contains(other) { services[i].dependsOn.append(other) }
        }
        // Services without networks or a network mode join <project>_default.
        let needsDefault = services.contains { $0.networkMode == nil && $0.networks.isEmpty }
        if needsDefault && !networks.contains(where: { $0.key == "default" }) {
            networks.insert(
                ComposeNetwork(
                    key: "default", name: "\(name)_default", driver: "bridge", internal: false, external: false,
                    subnet: nil, gateway: nil, labels: [:]), at: 0)
        }
        for i in services.indices where services[i].networkMode == nil && services[i].networks.isEmpty {
            services[i].networks = [ComposeServiceNetwork(name: "default", aliases: [], ipv4Address: nil)]
        }
        let ordered = try startOrder(
            services, origins: Dictionary(uniqueKeysWithValues: serviceEntries.map { ($0.key, $0.value.origin) }))
        return ComposeProject(name: name, services: ordered, networks: networks, warnings: warnings)
    }

    /// Compose's project-name rule: lowercase letters, digits, `-` and `_`.
    public static func sanitize(_ s: String) -> String {
        String(s.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    }

    static func parseNetwork(key: String, _ v: YAMLTree, project: String, warnings: inout [String]) throws
        -> ComposeNetwork
    {
        var n = ComposeNetwork(
            key: key, name: "\(project)_\(key)", driver: "bridge", internal: false, external: false, subnet: nil,
            gateway: nil, labels: [:])
        let known: Set<String> = [
            "driver", "internal", "external", "name", "ipam", "labels", "attachable", "driver_opts",
        ]
        for (k, value) in v.entries ?? [] {
            switch k {
            case "driver": n.driver = try str(value, "networks.\(key).driver")
            case "internal": n.internal = try bool(value, "networks.\(key).internal")
            case "external": n.external = try bool(value, "networks.\(key).external")
            case "name": n.name = try str(value, "networks.\(key).name")
            case "labels": n.labels = try dict(value, "networks.\(key).labels")
            case "ipam":
                let config = value["config"].flatMap { if case .list(let l, _) = $0 { l.first } else { nil } }
                n.subnet = try config?["subnet"].map { try str($0, "networks.\(key).ipam.config.subnet") }
                n.gateway = try config?["gateway"].map { try str($0, "networks.\(key).ipam.config.gateway") }
            default:
                if !known.contains(k) {
                    warnings.append("\(value.origin): unknown key \"\(k)\" in network \(key) is ignored")
                }
            }
        }
        if n.external, v["name"] == nil { n.name = key }
        guard n.driver == "bridge" else {
            throw BerthError.invalid("\(v.origin): network \(key): driver \"\(n.driver)\" is not supported; use bridge")
        }
        return n
    }

    static let serviceKeys: Set<String> = [
        "image", "command", "entrypoint", "environment", "env_file", "ports", "expose", "network_mode", "networks",
        "hostname", "extra_hosts", "dns", "dns_search", "depends_on", "restart", "mem_limit", "deploy", "pids_limit",
        "cap_add", "cap_drop", "privileged", "labels", "working_dir", "user", "tty", "stdin_open", "container_name",
        "cpus",
    ]

    static func parseService(
        _ name: String, _ v: YAMLTree, networks: [ComposeNetwork], variables: [String: String] = [:],
        warnings: inout [String]
    ) throws -> ComposeService {
        var s = ComposeService(name: name)
        guard let entries = v.entries else {
            throw BerthError.invalid("\(v.origin): service \(name) must be a mapping")
        }
        func at(_ key: String) -> String { "service \(name), key \(key)" }
        for (k, value) in entries {
            let what = at(k)
            switch k {
            case "image": s.image = try str(value, what)
            case "command": s.command = try commandLine(value, what)
            case "entrypoint": s.entrypoint = try commandLine(value, what)
            case "environment":
                // `- KEY` (no `=`) or `KEY:` with no value takes KEY from the environment compose runs in.
                for (k, v) in try dict(value, what, bareKeys: true) {
                    if let v {
                        s.environment[k] = v
                    } else if let fromHost = variables[k] {
                        s.environment[k] = fromHost
                    }
                }
            case "env_file":
                s.envFiles = try stringOrList(value, what).map {
                    ComposeEnvFile(path: $0, origin: value.origin.description)
                }
            case "container_name": s.containerName = try str(value, what)
            case "ports": s.ports = try list(value, what).flatMap { try parsePorts($0, what) }
            case "expose": s.expose = try list(value, what).map { try str($0, what) }
            case "network_mode":
                let mode = try str(value, what)
                switch mode {
                case "host": s.networkMode = .host
                case "none": s.networkMode = .noNetwork
                case "bridge": s.networkMode = .bridge
                case _ where mode.hasPrefix("service:"): s.networkMode = .service(String(mode.dropFirst(8)))
                case _ where mode.hasPrefix("container:"): s.networkMode = .container(String(mode.dropFirst(10)))
                default:
                    throw BerthError.invalid(
                        "\(value.origin): \(what): unknown network mode \"\(mode)\"; use host, none, bridge, service:NAME or container:NAME"
                    )
                }
            case "networks":
                if case .list(let items, _) = value {
                    s.networks = try items.map {
                        ComposeServiceNetwork(name: try str($0, what), aliases: [], ipv4Address: nil)
                    }
                } else {
                    for (net, cfg) in value.entries ?? [] {
                        s.networks.append(
                            ComposeServiceNetwork(
                                name: net,
                                aliases: try cfg["aliases"].map { try list($0, what).map { try str($0, what) } } ?? [],
                                ipv4Address: try cfg["ipv4_address"].map { try str($0, what) }))
                    }
                }
                for n in s.networks {
                    if let ip = n.ipv4Address, !isIPv4(ip) {
                        throw BerthError.invalid(
                            "\(value.origin): \(what): ipv4_address \"\(ip)\" is not an IPv4 address")
                    }
                }
                for n in s.networks where !networks.contains(where: { $0.key == n.name }) {
                    throw BerthError.invalid(
                        "\(value.origin): \(what): network \"\(n.name)\" is not defined under the top-level networks key"
                    )
                }
            case "hostname": s.hostname = try str(value, what)
            case "extra_hosts":
                let entries: [String]
                if let map = value.entries {
                    entries = try map.map { "\($0.key):\(try str($0.value, what))" }
                } else {
                    entries = try list(value, what).map { try str($0, what) }
                }
                s.extraHosts = try entries.map { e in
                    // `name:ip` or `name=ip`; ip may be host-gateway (or an IPv6 address, itself full of colons).
                    let sep = e.firstIndex(where: { $0 == "=" || $0 == ":" })
                    guard let sep, !e[..<sep].isEmpty, !e[e.index(after: sep)...].isEmpty else {
                        throw BerthError.invalid(
                            "\(value.origin): \(what): \"\(e)\" is not HOST:IP (or HOST:host-gateway)")
                    }
                    return "\(e[..<sep]):\(e[e.index(after: sep)...])"
                }
            case "dns": s.dns = try stringOrList(value, what)
            case "dns_search": s.dnsSearch = try stringOrList(value, what)
            case "depends_on":
                if case .list(let items, _) = value {
                    s.dependsOn = try items.map { try str($0, what) }
                } else {
                    s.dependsOn = (value.entries ?? []).map(\.key)
                    for (dep, cfg) in value.entries ?? [] {
                        if let condition = cfg["condition"]?.string, condition != "service_started" {
                            warnings.append(
                                "\(cfg.origin): \(what): condition \(condition) for \(dep) is treated as service_started (berth has no health checks yet)"
                            )
                        }
                    }
                }
            case "restart":
                s.restart = try str(value, what)
                let parts = s.restart.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(
                    String.init)
                let policy = parts[0]
                let retriesOK = parts.count == 1 || (policy == "on-failure" && Int(parts[1]).map { $0 >= 0 } == true)
                guard ["no", "always", "on-failure", "unless-stopped"].contains(policy), retriesOK else {
                    throw BerthError.invalid(
                        "\(value.origin): \(what): restart policy \"\(s.restart)\" must be no, always, on-failure[:N] or unless-stopped"
                    )
                }
            case "mem_limit": s.memoryLimit = try bytes(value, what)
            case "cpus": s.cpus = try number(value, what)
            case "deploy":
                if let limits = value["resources"]?["limits"] {
                    if let m = limits["memory"] { s.memoryLimit = try bytes(m, "\(what).resources.limits.memory") }
                    if let c = limits["cpus"] { s.cpus = try number(c, "\(what).resources.limits.cpus") }
                }
            case "pids_limit": s.pidsLimit = Int(try number(value, what))
            case "cap_add": s.capAdd = try list(value, what).map { try str($0, what) }
            case "cap_drop": s.capDrop = try list(value, what).map { try str($0, what) }
            case "privileged": s.privileged = try bool(value, what)
            case "labels": s.labels = try dict(value, what)
            case "working_dir": s.workingDir = try str(value, what)
            case "user": s.user = try str(value, what)
            case "tty": s.tty = try bool(value, what)
            case "stdin_open": s.stdinOpen = try bool(value, what)
            default:
                warnings.append("\(value.origin): unknown key \"\(k)\" in service \(name) is ignored")
            }
        }
        if s.image == nil {
            throw BerthError.invalid("\(v.origin): service \(name) has no image (berth does not build images)")
        }
        if s.networkMode != nil && !s.networks.isEmpty {
            throw BerthError.invalid("\(v.origin): service \(name): network_mode and networks cannot be used together")
        }
        return s
    }

    /// `depends_on` first, otherwise file order; a cycle is an error naming it.
    static func startOrder(_ services: [ComposeService], origins: [String: YAMLTree.Origin]) throws -> [ComposeService]
    {
        let byName = Dictionary(uniqueKeysWithValues: services.map { ($0.name, $0) })
        var done: [String] = []
        var visiting: [String] = []
        func visit(_ s: ComposeService) throws {
            if done.contains(s.name) { return }
            if let i = visiting.firstIndex(of: s.name) {
                let cycle = (visiting[i...] + [s.name]).joined(separator: " → ")
                throw BerthError.invalid("\(origins[s.name].map { "\($0): " } ?? "")depends_on has a cycle: \(cycle)")
            }
            visiting.append(s.name)
            for d in s.dependsOn {
                guard let dep = byName[d] else {
                    throw BerthError.invalid(
                        "\(origins[s.name].map { "\($0): " } ?? "")service \(s.name) depends on undefined service \(d)")
                }
                try visit(dep)
            }
            visiting.removeLast()
            done.append(s.name)
        }
        for s in services { try visit(s) }
        return done.compactMap { byName[$0] }
    }

    // MARK: values

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    static func str(_ v: YAMLTree, _ what: String) throws -> String {
        guard let s = v.string else { throw BerthError.invalid("\(v.origin): \(what) must be a string") }
        return s
    }

    static func bool(_ v: YAMLTree, _ what: String) throws -> Bool {
        switch v.string?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw BerthError.invalid("\(v.origin): \(what) must be true or false")
        }
    }

    static func number(_ v: YAMLTree, _ what: String) throws -> Double {
        guard let s = v.string, let d = Double(s), d >= 0 else {
            throw BerthError.invalid("\(v.origin): \(what) must be a non-negative number")
        }
        return d
    }

    static func list(_ v: YAMLTree, _ what: String) throws -> [YAMLTree] {
        guard case .list(let items, _) = v else { throw BerthError.invalid("\(v.origin): \(what) must be a list") }
        return items
    }

    static func stringOrList(_ v: YAMLTree, _ what: String) throws -> [String] {
        if let s = v.string { return [s] }
        return try list(v, what).map { try str($0, what) }
    }

    /// A mapping, or a list of `KEY=VALUE` (environment, labels).
    static func dict(_ v: YAMLTree, _ what: String) throws -> [String: String] {
        try dict(v, what, bareKeys: false).mapValues { $0 ?? "" }
    }

    /// As `dict`, with nil for a key given without a value (`- KEY`, `KEY:`) when `bareKeys`.
    static func dict(_ v: YAMLTree, _ what: String, bareKeys: Bool) throws -> [String: String?] {
        var out: [String: String?] = [:]
        if case .list(let items, _) = v {
            for item in items {
                let s = try str(item, what)
                let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard !parts[0].isEmpty else {
                    throw BerthError.invalid("\(item.origin): \(what): \"\(s)\" has no name before =")
                }
                // updateValue: assigning nil through the subscript would remove the key.
                out.updateValue(parts.count > 1 ? String(parts[1]) : (bareKeys ? nil : ""), forKey: String(parts[0]))
            }
            return out
        }
        guard let entries = v.entries else {
            throw BerthError.invalid("\(v.origin): \(what) must be a mapping or a list of KEY=VALUE")
        }
        for (k, value) in entries {
            if case .null = value, bareKeys {
                out.updateValue(nil, forKey: k)
            } else {
                out.updateValue(value.string ?? "", forKey: k)
            }
        }
        return out
    }

    /// A list, or a string split like a shell would (quotes and backslashes), as Compose does.
    static func commandLine(_ v: YAMLTree, _ what: String) throws -> [String] {
        if let s = v.string {
            guard let words = shellWords(s) else {
                throw BerthError.invalid("\(v.origin): \(what): unbalanced quotes in \"\(s)\"")
            }
            return words
        }
        return try list(v, what).map { try str($0, what) }
    }

    /// POSIX-shell word splitting without expansions; nil for an unterminated quote.
    static func shellWords(_ s: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in s {
            if escaped {
                word.append(c)
                escaped = false
                continue
            }
            if let q = quote {
                if c == q {
                    quote = nil
                } else if c == "\\" && q == "\"" {
                    escaped = true
                } else {
                    word.append(c)
                }
                continue
            }
            switch c {
            case "\\":
                escaped = true
                inWord = true
            case "\"", "'":
                quote = c
                inWord = true
            case " ", "\t", "\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            default:
                word.append(c)
                inWord = true
            }
        }
        if quote != nil || escaped { return nil }
        if inWord { words.append(word) }
        return words
    }

    /// `50M`, `50m`, `1g`, `512k`, `1024b` or a plain number of bytes.
    static func bytes(_ v: YAMLTree, _ what: String) throws -> Int64 {
        guard let raw = v.string?.lowercased().trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            throw BerthError.invalid("\(v.origin): \(what) must be a size such as 50M")
        }
        let units: [(String, Int64)] = [
            ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1),
        ]
        for (suffix, factor) in units where raw.hasSuffix(suffix) {
            if let n = Double(raw.dropLast(suffix.count)), n >= 0 { return Int64(n * Double(factor)) }
            break
        }
        if let n = Int64(raw), n >= 0 { return n }
        throw BerthError.invalid(
            "\(v.origin): \(what) \"\(v.string ?? "")\" is not a size; use a number with b, k, m or g")
    }

    /// Short syntax `[[ip:]published:]target[/proto]` with ranges, or the long syntax mapping.
    static func parsePorts(_ v: YAMLTree, _ what: String) throws -> [ComposePort] {
        if let entries = v.entries {
            let target = try v["target"].map { try port(str($0, what), v, what) }
            guard let target else { throw BerthError.invalid("\(v.origin): \(what): long port syntax needs target") }
            let published = try v["published"].map { try port(str($0, what), v, what) }
            let proto = try v["protocol"].map { try str($0, what) } ?? "tcp"
            _ = entries
            return [
                ComposePort(
                    hostIP: try v["host_ip"].map { try str($0, what) }, published: published, target: target,
                    proto: proto)
            ]
        }
        var text = try str(v, what)
        var proto = "tcp"
        if let slash = text.lastIndex(of: "/") {
            proto = String(text[text.index(after: slash)...])
            text = String(text[..<slash])
        }
        guard proto == "tcp" || proto == "udp" else {
            throw BerthError.invalid("\(v.origin): \(what): protocol \"\(proto)\" must be tcp or udp")
        }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var hostIP: String?
        if parts.count == 3 { hostIP = parts.removeFirst() }
        guard parts.count <= 2, let targetText = parts.last else {
            throw BerthError.invalid(
                "\(v.origin): \(what): invalid port \"\(text)\"; expected [[ip:]host:]container[/proto]")
        }
        let targets = try range(targetText, v, what)
        let published = parts.count == 2 && !parts[0].isEmpty ? try range(parts[0], v, what) : nil
        if let published, published.count != targets.count {
            throw BerthError.invalid("\(v.origin): \(what): port ranges \(parts[0]) and \(targetText) differ in size")
        }
        return targets.enumerated().map { i, t in
            ComposePort(hostIP: hostIP, published: published?[i], target: t, proto: proto)
        }
    }

    static func range(_ s: String, _ v: YAMLTree, _ what: String) throws -> [UInt16] {
        let bounds = s.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count <= 2 else { throw BerthError.invalid("\(v.origin): \(what): invalid port range \"\(s)\"") }
        let lo = try port(bounds[0], v, what)
        let hi = bounds.count == 2 ? try port(bounds[1], v, what) : lo
        guard lo <= hi else { throw BerthError.invalid("\(v.origin): \(what): port range \"\(s)\" is backwards") }
        return Array(lo...hi)
    }

    static func port(_ s: String, _ v: YAMLTree, _ what: String) throws -> UInt16 {
        guard let p = UInt16(s), p > 0 else {
            throw BerthError.invalid("\(v.origin): \(what): \"\(s)\" is not a port (1–65535)")
        }
        return p
    }
}
