import BerthCore
import BerthSystem

/// Where a process's cgroups are, on cgroup v1, v2 or hybrid hosts (SCENARIOS N4, V4).
public enum CgroupInspector {
    /// `/proc/<pid>/cgroup` lines: `hierarchy-id:controllers:path`; v2 has `0::path`.
    public static func parse(_ text: String) -> [(controllers: [String], path: String)] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (parts[1].split(separator: ",").map(String.init), String(parts[2]))
        }
    }

    /// The cgroup directory of `pid` for a v1 controller, else its unified (v2) directory.
    public static func directory(ofPid pid: Int32, controller: String, root: String = "/sys/fs/cgroup") throws -> String {
        let entries = parse(try FileSystem.readText("/proc/\(pid)/cgroup"))
        if let v1 = entries.first(where: { $0.controllers.contains(controller) }) {
            return root + "/" + controller + v1.path
        }
        if let v2 = entries.first(where: { $0.controllers.isEmpty || $0.controllers == [""] }) {
            // Pure v2 mounts the unified hierarchy at the root; hybrid hosts under "unified".
            let unified = FileSystem.exists(root + "/cgroup.controllers") ? root : root + "/unified"
            return unified + v2.path
        }
        throw BerthError.notFound("process \(pid) has no \(controller) cgroup")
    }

    /// The memory limit file of the process's cgroup: v1 `memory.limit_in_bytes`, v2 `memory.max`.
    public static func memoryLimitFile(ofPid pid: Int32) throws -> String {
        let dir = try directory(ofPid: pid, controller: "memory")
        let v1 = dir + "/memory.limit_in_bytes"
        return FileSystem.exists(v1) ? v1 : dir + "/memory.max"
    }

    /// The memory limit in bytes, nil when unlimited.
    public static func memoryLimit(ofPid pid: Int32) throws -> Int64? {
        let text = try FileSystem.readText(try memoryLimitFile(ofPid: pid)).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let n = Int64(text), n < Int64.max / 2 else { return nil }
        return n
    }

    /// Every process in the same cgroup as `pid` (pids controller on v1, unified on v2).
    public static func pids(inCgroupOf pid: Int32) throws -> [Int32] {
        let dir = try directory(ofPid: pid, controller: "pids")
        return try FileSystem.readText(dir + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
    }
}
