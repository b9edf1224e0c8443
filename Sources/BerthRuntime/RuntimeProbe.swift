import BerthCore
import BerthSystem
import Foundation

/// The OCI runtime berth will use, and why (shown by `berth info` and `berth doctor`).
public struct RuntimeChoice: Sendable, Equatable {
    /// "crun" or "runc".
    public var name: String
    /// Absolute path of the program.
    public var path: String
    /// One sentence saying why this runtime was chosen.
    public var reason: String

    public init(name: String, path: String, reason: String) {
        self.name = name
        self.path = path
        self.reason = reason
    }
}

/// Chooses between crun and runc. crun is preferred (faster, smaller), but it can be installed and
/// still unable to run anything here (crun 1.8 refuses cgroups in hybrid mode), so it must pass
/// a real trial container first.
public enum RuntimeProbe {
    /// The runtimes berth knows, in order of preference.
    public static let known = ["crun", "runc"]

    /// How long the trial container may take before it counts as a failure.
    public static let trialTimeoutSeconds = 20

    /// Picks a runtime. `preferred` ("crun", "runc", nil for automatic) comes from `--runtime`.
    /// `scratch` is a directory for the trial bundle (removed afterwards).
    public static func choose(preferred: String?, scratch: String) -> Result<RuntimeChoice, BerthError> {
        if let preferred, !known.contains(preferred) {
            return .failure(.invalid("unknown OCI runtime \"\(preferred)\": use crun or runc"))
        }
        let crun = findExecutable("crun")
        let runc = findExecutable("runc")
        switch preferred {
        case "runc":
            guard let runc else { return .failure(missing("runc")) }
            return .success(RuntimeChoice(name: "runc", path: runc, reason: "runc was asked for"))
        case "crun":
            guard let crun else { return .failure(missing("crun")) }
            if let refusal = trial(runtime: crun, scratch: scratch) {
                return .failure(
                    BerthError(
                        .system, "crun refused a trial container (\(refusal)): use --runtime runc",
                        causeText: nil))
            }
            return .success(
                RuntimeChoice(name: "crun", path: crun, reason: "crun was asked for and ran a trial container"))
        default:
            var refusal: String?
            if let crun {
                refusal = trial(runtime: crun, scratch: scratch)
                if refusal == nil {
                    return .success(RuntimeChoice(name: "crun", path: crun, reason: "crun ran a trial container"))
                }
            }
            guard let runc else {
                if let refusal {
                    return .failure(
                        BerthError(
                            .system, "crun refused a trial container (\(refusal)) and runc is not installed: "
                                + "install runc", causeText: nil))
                }
                return .failure(
                    .notFound("no OCI runtime found on PATH: install crun or runc"))
            }
            let reason =
                if let refusal { "crun refused a trial container (\(refusal)); using runc" } else {
                    "crun is not installed; using runc"
                }
            return .success(RuntimeChoice(name: "runc", path: runc, reason: reason))
        }
    }

    static func missing(_ name: String) -> BerthError {
        .notFound("OCI runtime \"\(name)\" was not found on PATH: install it or choose the other runtime")
    }

    /// The first executable `name` in PATH (or the usual sbin/bin directories when PATH is unset).
    public static func findExecutable(_ name: String) -> String? {
        let fallback = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        let path = ProcessInfo.processInfo.environment["PATH"] ?? fallback
        for dir in path.split(separator: ":") where dir.hasPrefix("/") {
            let candidate = "\(dir)/\(name)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }

    /// Runs `/busybox true` in a throwaway container with `runtime`. Returns nil on success, else
    /// the runtime's first line of complaint. Always deletes the container, its cgroups and the bundle.
    public static func trial(runtime: String, scratch: String) -> String? {
        guard let busybox = ["/bin/busybox", "/usr/bin/busybox", "/sbin/busybox"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            return "no busybox on this machine to run a trial container with"
        }
        let suffix = String(Identifier.random().prefix(12))
        let id = "berth-probe-\(suffix)"
        let bundle = scratch + "/" + id
        let cgroupsPath = "/berth-probe-\(suffix)"
        defer {
            _ = try? Subprocess.run([runtime, "delete", "-f", id])
            removeCgroups(relativePath: cgroupsPath)
            try? FileManager.default.removeItem(atPath: bundle)
        }
        do {
            let rootfs = bundle + "/rootfs"
            try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
            try copyExecutable(from: busybox, to: rootfs + "/busybox")
            let config = ContainerRuntimeConfig(
                id: id, rootfs: rootfs, args: ["/busybox", "true"], hostname: "berth-probe", cgroupsPath: cgroupsPath)
            let spec = try SpecBuilder.build(config, rootfsUsers: UserResolver(passwd: "", group: ""))
            try spec.write(toBundle: bundle)
            let result = try Subprocess.run(
                ["timeout", "-k", "2", String(trialTimeoutSeconds), runtime, "run", "--bundle", bundle, id])
            if result.succeeded { return nil }
            if result.status == 124 || result.status == 137 {
                return "the trial container did not finish within \(trialTimeoutSeconds) seconds"
            }
            return firstLine(result.stderr) ?? firstLine(result.stdout) ?? "exit status \(result.status)"
        } catch {
            return String(describing: error)
        }
    }

    /// The first non-empty line, without runc's and crun's `level=error msg=` / `Error: ` decoration.
    static func firstLine(_ text: String) -> String? {
        guard var line = text.split(separator: "\n").map({ String($0).trimmingSpaces }).first(where: { !$0.isEmpty })
        else { return nil }
        for prefix in ["crun: ", "Error: ", "ERRO[0000] "] where line.hasPrefix(prefix) {
            line = String(line.dropFirst(prefix.count))
        }
        return line
    }

    /// Removes the directories a runtime left for `relativePath` (e.g. "/berth-probe-abc") in every
    /// cgroup hierarchy. With `includingParents`, empty parents go too, deepest first (not for a
    /// shared parent such as "/berth" while containers may be starting: runc's mkdir could race).
    /// Cgroups that still hold processes or children stay (rmdir says EBUSY).
    public static func removeCgroups(relativePath: String, includingParents: Bool = false) {
        guard let mounts = try? CgroupMounts.current() else { return }
        let components = relativePath.split(separator: "/").map(String.init)
        guard !components.isEmpty else { return }
        var seen: Set<String> = []
        for mount in mounts.mounts where seen.insert(mount.mountpoint).inserted {
            let shallowest = includingParents ? 1 : components.count
            for depth in stride(from: components.count, through: shallowest, by: -1) {
                let path = mount.mountpoint + "/" + components[0..<depth].joined(separator: "/")
                try? FileSystem.removeDirectory(path)
            }
        }
    }

    /// Copies a program with a close-on-exec descriptor. FileManager's copy leaves its write
    /// descriptor inheritable, so a program another thread spawns meanwhile holds it open and
    /// running the copy fails with ETXTBSY ("text file busy").
    static func copyExecutable(from source: String, to destination: String) throws {
        try FileSystem.writeFile(destination, try FileSystem.readFile(source), mode: 0o755)
    }
}
