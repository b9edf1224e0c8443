import Foundation
import GRDB

/// One network as berth recorded it. Rows are written *before* the kernel objects exist
/// (`state == .creating`), so a crash halfway leaves a record the reconciler can finish or undo.
public struct NetworkRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "network"

    /// Lifecycle of a record relative to the kernel objects it describes.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Recorded, kernel objects being made; at startup this means "undo".
        case creating
        /// Fully made.
        case ready
        /// Being removed; at startup this means "finish removing".
        case removing
    }

    public var id: String
    public var name: String
    /// `bridge`, `host` or `null`.
    public var driver: String
    /// Linux bridge name for bridge networks (`berth0`, `br-<12 hex>`).
    public var bridge: String?
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public var mtu: Int
    public var `internal`: Bool
    public var attachable: Bool
    /// Whether berth made this network itself at startup (`bridge`, `host`, `none`).
    public var predefined: Bool
    /// JSON object of driver options (`com.docker.network.driver.mtu`…).
    public var options: [String: String]
    public var labels: [String: String]
    /// RFC 3339 creation time.
    public var created: String
    public var state: State

    public init(
        id: String, name: String, driver: String, bridge: String?, subnet: String?, gateway: String?,
        ipRange: String?, mtu: Int, internal: Bool, attachable: Bool, predefined: Bool,
        options: [String: String], labels: [String: String], created: String, state: State
    ) {
        self.id = id
        self.name = name
        self.driver = driver
        self.bridge = bridge
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.mtu = mtu
        self.internal = `internal`
        self.attachable = attachable
        self.predefined = predefined
        self.options = options
        self.labels = labels
        self.created = created
        self.state = state
    }
}

/// A network endpoint: one interface of one sandbox (network namespace) on one network.
public struct EndpointRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "endpoint"

    public var id: String
    public var networkId: String
    /// The container (or other owner) the endpoint belongs to.
    public var ownerId: String
    public var ownerName: String
    /// The network namespace path the container end lives in (the SandboxKey).
    public var sandbox: String
    /// Host end of the veth pair (`veth<7 hex>`), recorded before it is made.
    public var hostInterface: String
    /// Name of the interface inside the sandbox (`eth0`, `eth1`…).
    public var sandboxInterface: String
    public var ipv4: String?
    public var prefixLength: Int
    public var mac: String
    public var aliases: [String]
    public var state: NetworkRecord.State

    public init(
        id: String, networkId: String, ownerId: String, ownerName: String, sandbox: String, hostInterface: String,
        sandboxInterface: String, ipv4: String?, prefixLength: Int, mac: String, aliases: [String],
        state: NetworkRecord.State
    ) {
        self.id = id
        self.networkId = networkId
        self.ownerId = ownerId
        self.ownerName = ownerName
        self.sandbox = sandbox
        self.hostInterface = hostInterface
        self.sandboxInterface = sandboxInterface
        self.ipv4 = ipv4
        self.prefixLength = prefixLength
        self.mac = mac
        self.aliases = aliases
        self.state = state
    }
}

/// A published port: host (address, port, protocol) → container (address, port). One row can stand for
/// a run of `count` ports (`-p 8000-8999:9000-9999` is one row, not a thousand): host ports
/// `hostPort ..< hostPort + count` to container ports `containerPort ..< containerPort + count`.
/// `Transaction.portMappings` hands such rows out one port each, so readers never see a range.
public struct PortMappingRecord: Codable, Sendable, Equatable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "portMapping"

    public var endpointId: String
    public var networkId: String
    /// `tcp` or `udp`.
    public var proto: String
    /// Host address the port is published on; empty string means every address.
    public var hostIP: String
    public var hostPort: Int
    public var containerIP: String
    public var containerPort: Int
    /// How many consecutive ports the row covers (1 for a single port).
    public var count: Int

    public init(
        endpointId: String, networkId: String, proto: String, hostIP: String, hostPort: Int, containerIP: String,
        containerPort: Int, count: Int = 1
    ) {
        self.endpointId = endpointId
        self.networkId = networkId
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
        self.count = count
    }

    /// One record per port of this row, in port order.
    public var expanded: [PortMappingRecord] {
        guard count > 1 else { return [self] }
        return (0..<count).map { i in
            var one = self
            one.hostPort = hostPort + i
            one.containerPort = containerPort + i
            one.count = 1
            return one
        }
    }

    /// `mappings` with every run of consecutive ports (same endpoint, network, protocol and addresses;
    /// host and container port both one more than the previous) folded into one row. Order is kept;
    /// `coalesced(m).flatMap(\.expanded) == m.flatMap(\.expanded)`.
    public static func coalesced(_ mappings: [PortMappingRecord]) -> [PortMappingRecord] {
        var out: [PortMappingRecord] = []
        out.reserveCapacity(mappings.count)
        for m in mappings {
            if var last = out.last, last.endpointId == m.endpointId, last.networkId == m.networkId,
                last.proto == m.proto, last.hostIP == m.hostIP, last.containerIP == m.containerIP,
                last.hostPort + last.count == m.hostPort, last.containerPort + last.count == m.containerPort
            {
                last.count += m.count
                out[out.count - 1] = last
            } else {
                out.append(m)
            }
        }
        return out
    }
}

/// One IPv4 address handed out on a network.
public struct AddressAllocationRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "addressAllocation"
    public var networkId: String
    public var address: String
    /// Who holds it (an endpoint id); empty for reservations such as the gateway.
    public var owner: String

    public init(networkId: String, address: String, owner: String) {
        self.networkId = networkId
        self.address = address
        self.owner = owner
    }
}

/// When an address was last given back, so the allocator can reuse released addresses last.
public struct AddressReleaseRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "addressRelease"
    public var networkId: String
    public var address: String
    /// A store-wide increasing counter (not a clock: clocks jump).
    public var sequence: Int64

    public init(networkId: String, address: String, sequence: Int64) {
        self.networkId = networkId
        self.address = address
        self.sequence = sequence
    }
}

/// One container. `spec` is the engine's JSON of what the user asked for (Docker's create body);
/// the other columns are what berth made of it. Written before any kernel object is made.
public struct ContainerRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container"

    /// Docker's states, plus `starting` (berth is making the sandbox; at startup this means "undo").
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        case created, starting, running, exited, removing
    }

    public var id: String
    public var name: String
    public var image: String
    public var imageId: String
    public var created: String
    public var spec: String
    public var state: State
    /// Host PID of the container's first process while it runs.
    public var pid: Int
    public var monitorPid: Int
    public var exitCode: Int
    public var startedAt: String
    public var finishedAt: String
    public var error: String
    public var oomKilled: Bool
    /// The network namespace pin berth made (`$BERTH_RUN/netns/<id>`), or "" (host mode, or borrowed).
    public var sandbox: String
    /// The `/run/netns/<name>` pin made for `ip netns`, or "".
    public var namedNetns: String
    public var rootfsMounted: Bool
    public var runtime: String
    public var restartCount: Int

    public init(
        id: String, name: String, image: String, imageId: String, created: String, spec: String,
        state: State = .created, runtime: String
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.imageId = imageId
        self.created = created
        self.spec = spec
        self.state = state
        self.pid = 0
        self.monitorPid = 0
        self.exitCode = 0
        self.startedAt = ""
        self.finishedAt = ""
        self.error = ""
        self.oomKilled = false
        self.sandbox = ""
        self.namedNetns = ""
        self.rootfsMounted = false
        self.runtime = runtime
        self.restartCount = 0
    }
}

// Rows are read column by column (not through Decodable, several times slower): every container
// start and exit reads containers and endpoints, and a network's endpoints grow with its containers.
extension EndpointRecord {
    public init(row: Row) throws {
        self.init(
            id: row["id"], networkId: row["networkId"], ownerId: row["ownerId"], ownerName: row["ownerName"],
            sandbox: row["sandbox"], hostInterface: row["hostInterface"], sandboxInterface: row["sandboxInterface"],
            ipv4: row["ipv4"], prefixLength: row["prefixLength"], mac: row["mac"],
            aliases: try JSONColumn.strings(row["aliases"], column: "endpoint.aliases"), state: row["state"])
    }
}

extension ContainerRecord {
    public init(row: Row) throws {
        self.init(
            id: row["id"], name: row["name"], image: row["image"], imageId: row["imageId"], created: row["created"],
            spec: row["spec"], state: row["state"], runtime: row["runtime"])
        pid = row["pid"]
        monitorPid = row["monitorPid"]
        exitCode = row["exitCode"]
        startedAt = row["startedAt"]
        finishedAt = row["finishedAt"]
        error = row["error"]
        oomKilled = row["oomKilled"]
        sandbox = row["sandbox"]
        namedNetns = row["namedNetns"]
        rootfsMounted = row["rootfsMounted"]
        restartCount = row["restartCount"]
    }
}

/// JSON text columns, as Codable records write them.
enum JSONColumn {
    static func strings(_ text: String?, column: String) throws -> [String] {
        guard let text, text != "[]" else { return [] }
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw DatabaseError(message: "\(column) is not a JSON array of strings: \(text)")
        }
    }
}
