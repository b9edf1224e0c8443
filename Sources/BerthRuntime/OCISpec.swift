import BerthCore

// OCI runtime-spec 1.0.2, the subset berth writes. Properties carry the spec's JSON names; optional
// fields are omitted when nil (synthesized `encodeIfPresent`).

public struct OCISpec: Codable, Sendable, Equatable {
    public var ociVersion = "1.0.2"
    public var process: OCIProcess
    public var root: OCIRoot
    public var hostname: String?
    public var domainname: String?
    public var mounts: [OCIMount]
    public var linux: OCILinux
}

public struct OCIUser: Codable, Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var additionalGids: [UInt32]?
}

public struct OCICapabilities: Codable, Sendable, Equatable {
    public var bounding: [String]
    public var effective: [String]
    public var permitted: [String]
    public var inheritable: [String]?
    public var ambient: [String]?
}

public struct OCIRlimit: Codable, Sendable, Equatable {
    public var type: String
    public var hard: UInt64
    public var soft: UInt64
}

public struct OCIProcess: Codable, Sendable, Equatable {
    public var terminal: Bool
    public var user: OCIUser
    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var capabilities: OCICapabilities
    public var rlimits: [OCIRlimit]
    public var noNewPrivileges: Bool
    public var oomScoreAdj: Int?
}

public struct OCIRoot: Codable, Sendable, Equatable {
    public var path: String
    public var readonly: Bool
}

public struct OCIMount: Codable, Sendable, Equatable {
    public var destination: String
    public var type: String
    public var source: String
    public var options: [String]
}

public struct OCINamespace: Codable, Sendable, Equatable {
    public var type: String
    public var path: String?
}

public struct OCIDeviceRule: Codable, Sendable, Equatable {
    public var allow: Bool
    public var access: String
    public var type: String?
    public var major: Int64?
    public var minor: Int64?
}

public struct OCIMemory: Codable, Sendable, Equatable {
    public var limit: Int64?
    public var swap: Int64?
}

public struct OCICPU: Codable, Sendable, Equatable {
    public var quota: Int64?
    public var period: UInt64?
    public var shares: UInt64?
}

public struct OCIPids: Codable, Sendable, Equatable {
    public var limit: Int64
}

public struct OCIResources: Codable, Sendable, Equatable {
    public var devices: [OCIDeviceRule]
    public var memory: OCIMemory?
    public var cpu: OCICPU?
    public var pids: OCIPids?
}

public struct OCILinux: Codable, Sendable, Equatable {
    public var namespaces: [OCINamespace]
    public var resources: OCIResources
    public var cgroupsPath: String
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var sysctl: [String: String]?
}
