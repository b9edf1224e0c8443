import BerthCore
import BerthSystem

// berthd's commands to the runtime. berth-monitor (Embedded Swift) shares OCIRuntime.swift, not
// this file: these throw `BerthError` (see Package.swift).

extension OCIRuntime {
    /// Sends a signal to the container's first process (`kill`). A container the runtime no longer
    /// knows is not an error.
    public func kill(id: String, signal: String) throws {
        let r = try Subprocess.run(killArguments(id: id, signal: signal))
        if !r.succeeded && !OCIRuntime.isGone(r.stderr) {
            throw BerthError(.system, "\(name) could not signal container \(id): \(OCIRuntime.firstLine(r.stderr))")
        }
    }

    /// Removes the runtime's record and cgroup of a stopped container; already gone is success.
    public func delete(id: String, force: Bool) throws {
        // runc and crun keep a container's state in `<root>/<id>`: without it there is nothing to
        // delete, and no runtime process needs starting to learn that.
        if !FileSystem.exists(root + "/" + id) { return }
        let r = try Subprocess.run(deleteArguments(id: id, force: force))
        if !r.succeeded && !OCIRuntime.isGone(r.stderr) {
            throw BerthError(.system, "\(name) could not delete container \(id): \(OCIRuntime.firstLine(r.stderr))")
        }
    }

    static func isGone(_ stderr: String) -> Bool {
        stderr.contains("does not exist") || stderr.contains("not exist") || stderr.contains("container not running")
            || stderr.contains("process already finished") || stderr.contains("No such")
    }
}
