import BerthAPI
import BerthAPIServer
import BerthAddressing
import BerthCore
import BerthDNS
import Foundation
import BerthEngine
import BerthFirewall
import BerthIPAM
import BerthImage
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem

/// The daemon's parts, made from its options and config file.
struct DaemonSetup: Sendable {
    let options: DaemonOptions
    let config: DaemonNetworkConfig
    let engine: NetworkEngine
    let containers: ContainerEngine
    let images: ImageStore
    let runtime: RuntimeChoice
    let firewall: NftablesDriver
    var warnings: [String] { config.warnings }

    static func make(options: DaemonOptions, store: Store) throws -> DaemonSetup {
        let config = try DaemonNetworkConfig.load(path: options.configFile)
        let engineConfig = EngineConfig(
            root: options.root, run: options.run, hostNamespace: .current, defaultBridgeName: options.defaultBridge,
            bip: config.bip, pools: config.defaultAddressPools, mtu: config.mtu, firewallTable: options.firewallTable)
        let firewall = NftablesDriver()
        let dns = try EmbeddedDNS(upstreams: upstreamResolvers(config: config).map { ($0, 53) })
        let engine = NetworkEngine(
            config: engineConfig, store: store, kernel: try LinuxNetworkKernel(), firewall: firewall, dns: dns)
        let images = try ImageStore(root: options.root + "/images")
        try FileSystem.makeDirectories(options.run + "/runtime", mode: 0o700)
        let runtime = try RuntimeProbe.choose(preferred: options.runtime, scratch: options.run + "/runtime").get()
        let containerConfig = ContainerEngineConfig(
            containersDirectory: options.root + "/containers", netnsDirectory: options.run + "/netns",
            namedNetnsDirectory: options.namedNetnsDirectory, monitorPath: monitorPath(),
            runtime: OCIRuntime(name: runtime.name, path: runtime.path, root: options.run + "/runtime/" + runtime.name),
            runtimeReason: runtime.reason)
        let containers = ContainerEngine(config: containerConfig, store: store, networks: engine, images: images)
        return DaemonSetup(
            options: options, config: config, engine: engine, containers: containers, images: images, runtime: runtime,
            firewall: firewall)
    }

    /// `berth-monitor` sits next to `berthd` (both come from the same build or package).
    static func monitorPath() -> String {
        let exe = (try? FileSystem.readLink("/proc/self/exe")) ?? "/usr/local/bin/berthd"
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return dir + "/berth-monitor"
    }
}

extension DaemonSetup {
    /// Where the embedded resolver forwards names it does not own: daemon.json `dns`, else the host's
    /// /etc/resolv.conf nameservers (loopback ones included: forwarding leaves from the host's namespace).
    static func upstreamResolvers(config: DaemonNetworkConfig) -> [IPv4Address] {
        let configured = config.dns.compactMap { a -> IPv4Address? in if case .v4(let v) = a { v } else { nil } }
        if !configured.isEmpty { return configured }
        let text = (try? FileSystem.readText("/etc/resolv.conf")) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            return IPv4Address(words[1])
        }
    }

    /// Starts the API server on `socketPath` with the engine behind it.
    static func startServer(setup: DaemonSetup, socketPath: String) async throws -> APIServer {
        let server = APIServer(
            socketPath: socketPath,
            routes: Routes.all(
                networks: setup.engine, system: SystemInfo(setup: setup), diagnostics: setup.containers,
                containers: setup.containers, images: ImageAPI(store: setup.images, containers: setup.containers),
                seeThrough: setup.containers))
        try await server.start()
        return server
    }
}

/// `/version` and `/info` from the live system.
struct SystemInfo: SystemService {
    let setup: DaemonSetup

    func version() async throws -> VersionResponse {
        let u = Uname.current
        return VersionResponse(
            version: BerthVersion.version, apiVersion: BerthVersion.apiVersion,
            minAPIVersion: BerthVersion.minAPIVersion, os: "linux", arch: u.machine == "x86_64" ? "amd64" : u.machine,
            kernelVersion: u.release)
    }

    func info() async throws -> InfoResponse {
        let u = Uname.current
        let nets = try await setup.engine.networks()
        let containers = try await setup.containers.list()
        let os = (try? FileSystem.readText("/etc/os-release"))?.split(separator: "\n")
            .first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let memKB = (try? FileSystem.readText("/proc/meminfo"))?.split(separator: "\n")
            .first { $0.hasPrefix("MemTotal:") }?.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0
        let o = setup.options
        return InfoResponse(
            id: "", name: u.nodename, containers: containers.count,
            containersRunning: containers.filter { $0.state == .running }.count,
            images: (try? setup.images.list().count) ?? 0, networks: nets.count,
            kernelVersion: u.release, operatingSystem: os ?? "Linux", osType: "linux", architecture: u.machine,
            ncpu: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), memTotal: memKB * 1024, serverVersion: BerthVersion.version,
            dockerRootDir: o.root,
            berth: BerthInfo(
                root: o.root, run: o.run, configFile: o.configFile, firewallTable: o.firewallTable,
                defaultBridge: o.defaultBridge, configWarnings: setup.warnings, runtime: setup.runtime.name,
                runtimeReason: setup.runtime.reason))
    }
}

/// uname(2).
struct Uname {
    var nodename = ""
    var release = ""
    var machine = ""

    static var current: Uname {
        var u = utsname()
        guard uname(&u) == 0 else { return Uname() }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return Uname(nodename: field(u.nodename), release: field(u.release), machine: field(u.machine))
    }
}
