import BerthAddressing
import BerthCore
import BerthImage
import BerthMonitor
import BerthRuntime
import BerthStore
import BerthSystem
import Foundation

/// Where the container engine keeps things and which programs it drives.
public struct ContainerEngineConfig: Sendable {
    /// `$BERTH_ROOT/containers`.
    public var containersDirectory: String
    /// `$BERTH_RUN/netns`: each container's network namespace pin (its SandboxKey).
    public var netnsDirectory: String
    /// Where containers' namespaces also appear by name for `ip netns` (`/run/netns`; "" = not at all).
    public var namedNetnsDirectory: String
    /// The `berth-monitor` executable.
    public var monitorPath: String
    public var runtime: OCIRuntime
    /// Why this runtime was chosen (for `berth info`).
    public var runtimeReason: String
    /// The host's resolver configuration, copied into containers on the default bridge.
    public var hostResolvConf: String

    public init(
        containersDirectory: String, netnsDirectory: String, namedNetnsDirectory: String, monitorPath: String,
        runtime: OCIRuntime, runtimeReason: String = "", hostResolvConf: String = "/etc/resolv.conf"
    ) {
        self.containersDirectory = containersDirectory
        self.netnsDirectory = netnsDirectory
        self.namedNetnsDirectory = namedNetnsDirectory
        self.monitorPath = monitorPath
        self.runtime = runtime
        self.runtimeReason = runtimeReason
        self.hostResolvConf = hostResolvConf
    }
}

/// Containers: their records, sandboxes, root filesystems and monitors. Networking goes through
/// `NetworkEngine` (endpoints, ports, DNS); the process through the OCI runtime via `berth-monitor`.
public actor ContainerEngine {
    public nonisolated let config: ContainerEngineConfig
    let store: Store
    public let networks: NetworkEngine
    public nonisolated let images: ImageStore
    var execs: [String: ExecSession] = [:]
    var exitWatcher: ExitWatcher?
    /// Monitors that recorded their container's exit and are still deleting the runtime's record.
    var exitingMonitors: [String: Int32] = [:]
    /// Containers whose exit `checkExit` is finishing right now.
    var finishingExits: Set<String> = []
    /// Wakes `wait`, `stop` and `logs -f` when a record changes (see `saved`).
    nonisolated let changes = RecordChanges()
    /// Exit codes of the last containers removed by `--rm`, for `wait` callers that come just after
    /// the removal (`berth run --rm` waits once the output ended); the newest 256, no more.
    var removedExitCodes: [String: Int] = [:]
    var removedOrder: [String] = []
    /// Restart-policy backoff of each container that restarted in a row (nanoseconds), and the
    /// containers waiting out that delay (shown as restarting).
    var restartDelays: [String: UInt64] = [:]
    var pendingRestarts: Set<String> = []
    /// Decoded specs by container id, with the stored text they came from: a spec is read on every
    /// start, exit, stop and exec, and decoding one with 1,000 published ports takes ~10 ms. A text
    /// that differs from the stored one (the spec changed) is decoded again; at most 1,024 are kept.
    var decodedSpecs: [String: (text: String, spec: ContainerSpec)] = [:]

    public init(config: ContainerEngineConfig, store: Store, networks: NetworkEngine, images: ImageStore) {
        self.config = config
        self.store = store
        self.networks = networks
        self.images = images
    }

    deinit { exitWatcher?.stop() }

    public func files(_ id: String) -> ContainerFiles {
        ContainerFiles(directory: config.containersDirectory + "/" + id, id: id)
    }

    // MARK: lookups

    /// A container by full id, name (with or without Docker's leading `/`), or unique id prefix.
    public func container(_ ref: String) throws -> ContainerRecord {
        // By id or name first: one indexed lookup instead of reading every container.
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        if let c = try store.read({ tx in try tx.container(id: ref) ?? tx.container(name: name) }) { return c }
        let all = try store.read { tx in try tx.containers() }
        return try ContainerEngine.resolve(ref, in: all)
    }

    static func resolve(_ ref: String, in all: [ContainerRecord]) throws -> ContainerRecord {
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        if let c = all.first(where: { $0.id == ref || $0.name == name }) { return c }
        let byPrefix = Identifier.isHexPrefix(ref) ? all.filter { $0.id.hasPrefix(ref) } : []
        if byPrefix.count == 1 { return byPrefix[0] }
        if byPrefix.count > 1 {
            throw BerthError.invalid("container id prefix \"\(ref)\" is ambiguous: it matches \(byPrefix.count) containers")
        }
        throw BerthError.notFound("No such container: \(ref)")
    }

    public func list() throws -> [ContainerRecord] {
        try store.read { tx in try tx.containers() }
    }

    public func spec(of c: ContainerRecord) throws -> ContainerSpec {
        if let known = decodedSpecs[c.id], known.text == c.spec { return known.spec }
        let spec = try JSONDecoder().decode(ContainerSpec.self, from: Data(c.spec.utf8))
        if decodedSpecs.count >= 1024 { decodedSpecs.removeAll(keepingCapacity: true) }
        decodedSpecs[c.id] = (c.spec, spec)
        return spec
    }

    // MARK: create

    /// Records a new container (Docker's `create`: nothing runs yet, nothing is made in the kernel).
    public func create(_ spec: ContainerSpec, name: String?) async throws -> ContainerRecord {
        let id = Identifier.random()
        let chosen = try name.map { n -> String in
            let bare = n.hasPrefix("/") ? String(n.dropFirst()) : n
            try ContainerEngine.validateName(bare)
            return bare
        } ?? ContainerEngine.randomName { n in (try? store.read { tx in try tx.container(name: n) }) != nil }
        if let clash = try store.read({ tx in try tx.container(name: chosen) }) {
            throw BerthError.conflict(
                "Conflict. The container name \"/\(chosen)\" is already in use by container \"\(clash.id)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
        try await validateNetworkMode(spec)
        var s = spec
        if s.hostname.isEmpty {
            s.hostname = s.networkMode == "host" ? (try? FileSystem.readText("/proc/sys/kernel/hostname"))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "localhost" : String(id.prefix(12))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let record = ContainerRecord(
            id: id, name: chosen, image: s.image, imageId: s.imageId, created: Clock.rfc3339Now(),
            spec: String(decoding: try encoder.encode(s), as: UTF8.self), runtime: config.runtime.name)
        try FileSystem.makeDirectories(files(id).directory, mode: 0o710)
        // The log exists from now on, so an attach made before the first start (docker run) reads
        // it from its start through one descriptor (see `logs`).
        let log = try Syscall.retrying("create \(files(id).log)") { open(files(id).log, O_WRONLY | O_CREAT | O_CLOEXEC, 0o640) }
        Syscall.close(log)
        try store.write { tx in try tx.save(record) }
        changes.signal(id)
        return record
    }

    static func validateName(_ name: String) throws {
        let ok = name.count >= 2 && name.first.map { $0.isLetter || $0.isNumber } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard ok else {
            throw BerthError.invalid(
                "Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
    }

    func validateNetworkMode(_ spec: ContainerSpec) async throws {
        let mode = spec.networkMode
        if mode.hasPrefix("container:") {
            let ref = String(mode.dropFirst("container:".count))
            _ = try container(ref)
            if !spec.ports.isEmpty || spec.publishAll {
                throw BerthError.invalid(
                    "conflicting options: port publishing and the container network mode (ports belong to \(ref))")
            }
            return
        }
        if mode == "host" || mode == "none" {
            if !spec.ports.isEmpty && mode == "none" {
                throw BerthError.invalid("conflicting options: port publishing and the none network mode")
            }
            return
        }
        for a in spec.networks { _ = try await networks.network(a.network) }
    }

    static let adjectives = [
        "admiring", "brave", "clever", "dreamy", "eager", "festive", "gallant", "happy", "jolly", "keen", "lucid",
        "modest", "nifty", "optimistic", "peaceful", "quirky", "relaxed", "serene", "tender", "upbeat", "vibrant",
        "wizardly", "zealous", "bold", "calm", "daring", "elegant", "focused", "gentle", "hopeful",
    ]
    static let surnames = [
        "hopper", "lovelace", "turing", "ritchie", "thompson", "torvalds", "knuth", "dijkstra", "liskov", "hamilton",
        "cerf", "kahn", "postel", "metcalfe", "perlman", "shannon", "babbage", "noether", "curie", "meitner",
        "franklin", "goldberg", "kay", "lamport", "mccarthy", "minsky", "pike", "stallman", "wirth", "backus",
    ]

    /// A Docker-style `adjective_surname` that `taken` says is free (one indexed lookup per try, not
    /// a read of every container).
    static func randomName(taken: (String) -> Bool) -> String {
        for _ in 0..<100 {
            let n = "\(adjectives.randomElement()!)_\(surnames.randomElement()!)"
            if !taken(n) { return n }
        }
        return "\(adjectives.randomElement()!)_\(surnames.randomElement()!)\(Int.random(in: 1...99))"
    }
}
