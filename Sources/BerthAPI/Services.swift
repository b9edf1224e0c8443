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

    public init(name: String, status: Status, detail: String, fix: String? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case status = "Status"
        case detail = "Detail"
        case fix = "Fix"
    }
}
