import BerthSystem
import Foundation

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
/// berthd: a daemon that restarts reads it to learn what happened while it was away.
public struct MonitorState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
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
        return try? JSONDecoder().decode(MonitorState.self, from: Data(bytes))
    }

    public func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let tmp = path + ".tmp"
        try FileSystem.writeFile(tmp, Array(try encoder.encode(self)), mode: 0o600)
        guard rename(tmp, path) == 0 else { throw SystemCallError(call: "rename \(tmp)", errno: .current) }
    }
}

/// Docker's json-file log lines: `{"log":"hello\n","stream":"stdout","time":"2026-…Z"}`.
public struct LogLine: Codable, Sendable, Equatable {
    public var log: String
    public var stream: String
    public var time: String

    public init(log: String, stream: String, time: String) {
        self.log = log
        self.stream = stream
        self.time = time
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = (try? Array(encoder.encode(self))) ?? []
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    public static func decode(_ line: some Collection<UInt8>) -> LogLine? {
        try? JSONDecoder().decode(LogLine.self, from: Data(line))
    }
}
