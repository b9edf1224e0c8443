#if !hasFeature(Embedded)
import BerthCore
import BerthSystem
#endif

#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc  // berth-monitor: one Embedded Swift module with these sources (Package.swift)
#endif

/// Where one container's files live: `$BERTH_ROOT/containers/<id>/`.
public struct ContainerFiles: Sendable, Equatable {
    public let directory: String
    public let id: String

    public init(directory: String, id: String) {
        self.directory = directory
        self.id = id
    }

    /// The OCI bundle (config.json); its rootfs is `rootfs`.
    public var bundle: String { directory + "/bundle" }
    public var configJSON: String { bundle + "/config.json" }
    /// The overlay mount point the container sees as `/`.
    public var rootfs: String { directory + "/rootfs" }
    public var upper: String { directory + "/upper" }
    public var work: String { directory + "/work" }
    /// Docker's json-file log, one JSON object per line.
    public var log: String { directory + "/\(id)-json.log" }
    /// Written by the monitor: see `MonitorState`.
    public var state: String { directory + "/state.json" }
    public var monitorLog: String { directory + "/monitor.log" }
    /// The runtime's pid file of the container's first process.
    public var pidFile: String { directory + "/container.pid" }
    public var hosts: String { directory + "/hosts" }
    public var hostname: String { directory + "/hostname" }
    public var resolvConf: String { directory + "/resolv.conf" }
    /// Where berthd sends the monitor stdin and terminal sizes (see `AttachMessage`).
    public var attachSocket: String { directory + "/attach.sock" }
}

/// What the monitor reports about its container, written atomically to `state.json`. It outlives
/// berthd: a daemon that restarts reads it to learn what happened while it was away. Read and written
/// without Foundation (`JSONReader`, `JSONObjectWriter`): the monitor links no Foundation.
public struct MonitorState: Sendable, Equatable {
    public enum Status: String, Sendable {
        case starting, running, exited
    }

    public var status: Status
    public var monitorPid: Int32
    public var pid: Int32
    public var startedAt: String?
    public var finishedAt: String?
    public var exitCode: Int32?
    /// Why the container could not start (the runtime's own words), or why it ended abnormally.
    public var error: String?
    public var oomKilled: Bool

    public init(
        status: Status, monitorPid: Int32, pid: Int32 = 0, startedAt: String? = nil, finishedAt: String? = nil,
        exitCode: Int32? = nil, error: String? = nil, oomKilled: Bool = false
    ) {
        self.status = status
        self.monitorPid = monitorPid
        self.pid = pid
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.error = error
        self.oomKilled = oomKilled
    }

    public static func read(_ path: String) -> MonitorState? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return decode(bytes)
    }

    /// Parses `state.json`; nil when it is not JSON or a required key is missing or mistyped.
    public static func decode(_ bytes: some Collection<UInt8>) -> MonitorState? {
        guard case .object(let o)? = try? JSONReader.parse(bytes),
            case .string(let s)? = o["status"], let status = Status(rawValue: s),
            let monitorPid = o.int32("monitorPid"), let pid = o.int32("pid"),
            case .bool(let oomKilled)? = o["oomKilled"]
        else { return nil }
        // Optional keys: absent or null is nil; present with another type is malformed.
        guard let startedAt = o.optionalString("startedAt"), let finishedAt = o.optionalString("finishedAt"),
            let error = o.optionalString("error"), let exitCode = o.optionalInt32("exitCode")
        else { return nil }
        return MonitorState(
            status: status, monitorPid: monitorPid, pid: pid, startedAt: startedAt, finishedAt: finishedAt,
            exitCode: exitCode, error: error, oomKilled: oomKilled)
    }

    /// The JSON text, keys sorted; nil optionals left out.
    public func encoded() -> [UInt8] {
        var w = JSONObjectWriter()
        if let error { w.add("error", error) }
        if let exitCode { w.add("exitCode", Int(exitCode)) }
        if let finishedAt { w.add("finishedAt", finishedAt) }
        w.add("monitorPid", Int(monitorPid))
        w.add("oomKilled", oomKilled)
        w.add("pid", Int(pid))
        if let startedAt { w.add("startedAt", startedAt) }
        w.add("status", status.rawValue)
        return w.text
    }

    public func write(_ path: String) throws(SystemCallError) {
        let tmp = path + ".tmp"
        try FileSystem.writeFile(tmp, encoded(), mode: 0o600)
        guard rename(tmp, path) == 0 else { throw SystemCallError(call: "rename \(tmp)", errno: .current) }
    }
}

/// Docker's json-file log lines: `{"log":"hello\n","stream":"stdout","time":"2026-…Z"}`.
public struct LogLine: Sendable, Equatable {
    public var log: String
    public var stream: String
    public var time: String

    public init(log: String, stream: String, time: String) {
        self.log = log
        self.stream = stream
        self.time = time
    }

    /// One log line: the JSON object and a newline.
    public func encoded() -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("log", log)
        w.add("stream", stream)
        w.add("time", time)
        return w.text + [UInt8(ascii: "\n")]
    }

    public static func decode(_ line: some Collection<UInt8>) -> LogLine? {
        guard case .object(let o)? = try? JSONReader.parse(line),
            case .string(let log)? = o["log"], case .string(let stream)? = o["stream"], case .string(let time)? = o["time"]
        else { return nil }
        return LogLine(log: log, stream: stream, time: time)
    }
}

extension [String: JSONValue] {
    fileprivate func int32(_ key: String) -> Int32? {
        guard case .integer(let i)? = self[key] else { return nil }
        return Int32(exactly: i)
    }

    /// `.some(nil)` for absent or null, `.some(value)` for a string, nil for another type.
    fileprivate func optionalString(_ key: String) -> String?? {
        switch self[key] {
        case nil, .null?: return .some(nil)
        case .string(let s)?: return .some(s)
        default: return nil
        }
    }

    fileprivate func optionalInt32(_ key: String) -> Int32?? {
        switch self[key] {
        case nil, .null?: return .some(nil)
        case .integer(let i)?: return Int32(exactly: i).map { .some($0) }
        default: return nil
        }
    }
}
