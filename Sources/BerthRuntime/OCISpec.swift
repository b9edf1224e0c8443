import Foundation
import BerthCore

/// The subset of the OCI runtime-spec 1.0.2 `config.json` that berth writes for crun or runc.
///
/// Property names are the spec's JSON keys. Optional properties are omitted from the JSON when nil
/// (never written as `null`), because runtimes treat a present-but-null object differently from an
/// absent one (an empty `"cpu"` object still makes runc touch the cpu controller).
public struct OCISpec: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var process: Process
    public var root: Root
    /// Only set with a private UTS namespace: runtimes refuse a hostname in the host's.
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]
    public var linux: Linux

    public init(
        ociVersion: String = "1.0.2", process: Process, root: Root, hostname: String? = nil,
        domainname: String? = nil, mounts: [Mount], linux: Linux
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.linux = linux
    }

    /// The container's first process.
    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool
        public var user: User
        public var args: [String]
        public var env: [String]
        public var cwd: String
        public var capabilities: Capabilities
        public var rlimits: [Rlimit]
        public var noNewPrivileges: Bool
        public var oomScoreAdj: Int?

        public init(
            terminal: Bool, user: User, args: [String], env: [String], cwd: String, capabilities: Capabilities,
            rlimits: [Rlimit], noNewPrivileges: Bool = false, oomScoreAdj: Int? = nil
        ) {
            self.terminal = terminal
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
            self.oomScoreAdj = oomScoreAdj
        }
    }

    /// The numeric identity the process runs as (names are resolved by berth, not the runtime).
    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]

        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32] = []) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    /// Capability sets, each a list of `CAP_…` names as in capabilities(7).
    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]
        public var effective: [String]
        public var permitted: [String]
        public var inheritable: [String]?
        public var ambient: [String]?

        public init(
            bounding: [String], effective: [String], permitted: [String], inheritable: [String]? = nil,
            ambient: [String]? = nil
        ) {
            self.bounding = bounding
            self.effective = effective
            self.permitted = permitted
            self.inheritable = inheritable
            self.ambient = ambient
        }
    }

    /// One `setrlimit(2)` the runtime applies, e.g. `RLIMIT_NOFILE`.
    public struct Rlimit: Codable, Sendable, Equatable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64

        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    /// The container's root filesystem (an unpacked or overlay-mounted image).
    public struct Root: Codable, Sendable, Equatable {
        public var path: String
        public var readonly: Bool

        public init(path: String, readonly: Bool = false) {
            self.path = path
            self.readonly = readonly
        }
    }

    /// A mount made inside the container's mount namespace.
    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String
        public var source: String
        public var options: [String]

        public init(destination: String, type: String, source: String, options: [String]) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    /// Linux-specific settings.
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]
        public var resources: Resources
        public var cgroupsPath: String
        public var maskedPaths: [String]
        public var readonlyPaths: [String]
        public var sysctl: [String: String]?

        public init(
            namespaces: [Namespace], resources: Resources, cgroupsPath: String, maskedPaths: [String],
            readonlyPaths: [String], sysctl: [String: String]? = nil
        ) {
            self.namespaces = namespaces
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.sysctl = sysctl
        }
    }

    /// A namespace: created fresh when `path` is nil, joined (`setns`) when it names one.
    public struct Namespace: Codable, Sendable, Equatable {
        /// `mount`, `network`, `pid`, `ipc`, `uts`, `cgroup`, `user`.
        public var type: String
        public var path: String?

        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// cgroup settings; absent members leave the controller alone.
    public struct Resources: Codable, Sendable, Equatable {
        public var devices: [DeviceRule]
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?

        public init(devices: [DeviceRule], memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
        }
    }

    /// A device cgroup rule; nil `type`, `major` or `minor` mean "any" (`a`, `*`).
    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        public var access: String
        public var type: String?
        public var major: Int64?
        public var minor: Int64?

        public init(allow: Bool, access: String, type: String? = nil, major: Int64? = nil, minor: Int64? = nil) {
            self.allow = allow
            self.access = access
            self.type = type
            self.major = major
            self.minor = minor
        }
    }

    /// `memory.max` / `memory.limit_in_bytes`, and memory+swap.
    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64
        public var swap: Int64?

        public init(limit: Int64, swap: Int64? = nil) {
            self.limit = limit
            self.swap = swap
        }
    }

    /// CFS bandwidth: `quota` µs of CPU time per `period` µs.
    public struct CPU: Codable, Sendable, Equatable {
        public var quota: Int64
        public var period: UInt64
        public var shares: UInt64?

        public init(quota: Int64, period: UInt64, shares: UInt64? = nil) {
            self.quota = quota
            self.period = period
            self.shares = shares
        }
    }

    /// The pids controller's limit.
    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64

        public init(limit: Int64) { self.limit = limit }
    }
}

extension OCISpec {
    /// The `config.json` bytes: sorted keys and unescaped slashes, so bundles diff and read well.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes `config.json` into the bundle directory `bundle`.
    public func write(toBundle bundle: String) throws {
        let path = bundle + "/config.json"
        do {
            try jsonData().write(to: URL(fileURLWithPath: path))
        } catch {
            throw BerthError(.system, "cannot write the container's OCI config \(path)", cause: error)
        }
    }
}
