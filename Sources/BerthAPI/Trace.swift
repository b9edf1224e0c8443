/// `GET /berth/containers/{id}/trace`: berth's own endpoint for `berth trace`.
public protocol TraceService: Sendable {
    /// The path a packet takes to `port`/`proto` of the container `ref`, read from live kernel state.
    /// `port` nil picks the first published port, else the first listening socket. `from` is `host`,
    /// a container reference, or an IPv4 address outside the host; `address` is the host address a
    /// client on the host dials (default 127.0.0.1).
    func trace(_ ref: String, port: UInt16?, proto: String, from: String, address: String?) async throws -> TraceReport
}

/// One hop of a traced path.
public struct TraceStep: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The object exists and lets the packet through.
        case ok
        /// The packet stops here.
        case broken
        /// Not reached: an earlier step is broken.
        case skipped
    }

    /// Short name of the hop: `container`, `publish`, `dnat`, `route`, `bridge`, …
    public var step: String
    /// The kernel object involved (`chain output of table ip berth`, `br-3f2a1b0c9d8e`, `veth1a2b3c4`).
    public var object: String
    public var status: Status
    /// What was found, in one sentence.
    public var detail: String
    /// What to do, when the step is broken.
    public var fix: String?
    /// Packets the rule has matched, for counted nftables rules.
    public var packets: UInt64?

    public init(
        step: String, object: String, status: Status, detail: String, fix: String? = nil, packets: UInt64? = nil
    ) {
        self.step = step
        self.object = object
        self.status = status
        self.detail = detail
        self.fix = fix
        self.packets = packets
    }

    enum CodingKeys: String, CodingKey {
        case step = "Step"
        case object = "Object"
        case status = "Status"
        case detail = "Detail"
        case fix = "Fix"
        case packets = "Packets"
    }
}

/// What `berth trace` shows: the path, and the first step that breaks it.
public struct TraceReport: Codable, Sendable, Equatable {
    /// The container traced to.
    public var container: String
    /// Where the packet starts: `host`, `container NAME`, or `address A`.
    public var from: String
    /// What the client dials, such as `127.0.0.1:8080/tcp` or `web:80/tcp`.
    public var destination: String
    public var steps: [TraceStep]

    public init(container: String, from: String, destination: String, steps: [TraceStep]) {
        self.container = container
        self.from = from
        self.destination = destination
        self.steps = steps
    }

    /// The first broken step, if any.
    public var firstBroken: TraceStep? { steps.first { $0.status == .broken } }

    enum CodingKeys: String, CodingKey {
        case container = "Container"
        case from = "From"
        case destination = "Destination"
        case steps = "Steps"
    }
}
