/// What the API server needs from the engine for `/networks`. Implementations throw `BerthError`
/// for anything a user should read; its code decides the HTTP status.
public protocol NetworkService: Sendable {
    func listNetworks(filters: NetworkFilters) async throws -> [NetworkResource]
    func inspectNetwork(_ idOrName: String) async throws -> NetworkResource
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkCreateResponse
    func removeNetwork(_ idOrName: String) async throws
    func pruneNetworks(filters: NetworkFilters) async throws -> NetworkPruneResponse
}

/// `/version` and `/info`.
public protocol SystemService: Sendable {
    func version() async throws -> VersionResponse
    func info() async throws -> InfoResponse
}

/// `GET /berth/doctor`: berth's own endpoint (not Docker's) for `berth doctor`.
public protocol DiagnosticsService: Sendable {
    func doctor() async throws -> [DoctorCheck]
    /// Repairs what berth can repair itself, then checks again.
    func doctorFix() async throws -> [DoctorCheck]
}

/// One finding of `berth doctor`.
public struct DoctorCheck: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case ok, warning, failure
    }

    public var name: String
    public var status: Status
    /// What was found, in one sentence.
    public var detail: String
    /// What to do about it, when something is to be done.
    public var fix: String?
    /// The object concerned (a link name, a path, a map element), for orphans.
    public var object: String?
    /// True when `berth doctor --fix` removed the object.
    public var removed: Bool?

    public init(name: String, status: Status, detail: String, fix: String? = nil, object: String? = nil, removed: Bool? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
        self.object = object
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case status = "Status"
        case detail = "Detail"
        case fix = "Fix"
        case object = "Object"
        case removed = "Removed"
    }
}

/// `docker logs` options (query parameters of `GET /containers/{id}/logs`).
public struct LogOptions: Sendable, Equatable {
    public var stdout: Bool
    public var stderr: Bool
    public var follow: Bool
    public var timestamps: Bool
    /// nil = all lines.
    public var tail: Int?

    public init(stdout: Bool = true, stderr: Bool = true, follow: Bool = false, timestamps: Bool = false, tail: Int? = nil) {
        self.stdout = stdout
        self.stderr = stderr
        self.follow = follow
        self.timestamps = timestamps
        self.tail = tail
    }
}

/// One piece of a container's output: stream 1 = stdout, 2 = stderr (Docker's stdcopy numbering).
public struct OutputFrame: Sendable, Equatable {
    public var stream: UInt8
    public var bytes: [UInt8]

    public init(stream: UInt8, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// What the API server needs from the engine for `/containers` and `/exec`.
public protocol ContainerService: Sendable {
    func createContainer(_ request: ContainerCreateRequest, name: String?) async throws -> ContainerCreateResponse
    /// `createContainer`, given also the body's JSON text as the client sent it (kept for inspect as is,
    /// instead of encoding the decoded request again: the JSON of a thousand published ports).
    func createContainer(_ request: ContainerCreateRequest, json: String, name: String?) async throws -> ContainerCreateResponse
    func startContainer(_ ref: String) async throws
    func stopContainer(_ ref: String, timeout: Int?) async throws
    func restartContainer(_ ref: String, timeout: Int?) async throws
    func killContainer(_ ref: String, signal: String?) async throws
    /// Throws "No such container" unless `waitContainer` has something to wait for: the container,
    /// or one `--rm` removed a moment ago (its exit code is kept for the waiter).
    func checkWaitable(_ ref: String) async throws
    func waitContainer(_ ref: String, condition: String) async throws -> ContainerWaitResponse
    func removeContainer(_ ref: String, force: Bool) async throws
    func inspectContainer(_ ref: String) async throws -> ContainerInspect
    func listContainers(all: Bool, filters: ContainerFilters) async throws -> [ContainerSummary]
    /// The container's output; `tty` says whether frames are raw (TTY) or multiplexed.
    func containerLogs(_ ref: String, options: LogOptions) async throws -> (tty: Bool, frames: AsyncThrowingStream<OutputFrame, any Error>)
    func topContainer(_ ref: String, psArgs: String) async throws -> ContainerTopResponse
    func execCreate(_ ref: String, _ request: ExecCreateRequest) async throws -> ExecCreateResponse
    /// `input`: the hijacked connection's stdin when the exec was created with AttachStdin.
    func execStart(_ id: String, _ request: ExecStartRequest, input: AsyncStream<[UInt8]>?) async throws -> (tty: Bool, frames: AsyncThrowingStream<OutputFrame, any Error>)
    /// An attached client's stdin, fed to the container (which must have OpenStdin) until it ends.
    func attachInput(_ ref: String, input: AsyncStream<[UInt8]>) async throws
    /// A terminal size change for the container's TTY.
    func resizeContainer(_ ref: String, height: Int, width: Int) async throws
    func resizeExec(_ id: String, height: Int, width: Int) async throws
    func execInspect(_ id: String) async throws -> ExecInspect
    func connectNetwork(_ network: String, _ request: NetworkConnectRequest) async throws
    func disconnectNetwork(_ network: String, _ request: NetworkDisconnectRequest) async throws
    /// berth's own: what the container's resolver would answer (`berth dns`).
    func dnsReport(_ ref: String) async throws -> ContainerDNSReport
}

/// What the API server needs for `/images`.
public protocol ImageService: Sendable {
    func listImages() async throws -> [ImageSummary]
    func inspectImage(_ ref: String) async throws -> ImageInspect
    func removeImage(_ ref: String, force: Bool) async throws -> [ImageDeleteResponseItem]
    /// `docker load`: returns the loaded references ("busybox:latest" or an image id).
    func loadImages(archive: [UInt8]) async throws -> [String]
    /// `docker import`: returns the new image's id.
    func importImage(archive: [UInt8], reference: String?, changes: [String]) async throws -> String
}
