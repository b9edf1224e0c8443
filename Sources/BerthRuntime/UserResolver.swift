import BerthCore
import BerthSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A user resolved to numbers, as the OCI `process.user` needs it.
public struct ResolvedUser: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups: the groups of /etc/group that list the user, when no group was given.
    public var additionalGids: [UInt32]
    /// The user's home directory from /etc/passwd, if the user has an entry.
    public var home: String?

    public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32] = [], home: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
        self.home = home
    }
}

/// Resolves Docker's `-u` (`""`, `uid`, `uid:gid`, `name`, `name:group`) against a root filesystem's
/// `/etc/passwd` and `/etc/group`, following runc's `user.GetExecUser`.
public struct UserResolver: Sendable, Equatable {
    /// One /etc/passwd line.
    public struct PasswdEntry: Sendable, Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
    }

    /// One /etc/group line.
    public struct GroupEntry: Sendable, Equatable {
        public var name: String
        public var gid: UInt32
        public var members: [String]
    }

    /// The parsed passwd entries, in file order (the first match wins, as in libc).
    public var passwd: [PasswdEntry]
    /// The parsed group entries, in file order.
    public var groups: [GroupEntry]

    /// Parses the text of passwd(5) and group(5) files; malformed lines are skipped, as libc does.
    public init(passwd: String, group: String) {
        self.passwd = passwd.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, !f[0].hasPrefix("#"), let uid = UInt32(f[2]), let gid = UInt32(f[3]) else {
                return nil
            }
            return PasswdEntry(name: f[0], uid: uid, gid: gid, home: f.count >= 6 ? f[5] : "")
        }
        self.groups = group.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3, !f[0].hasPrefix("#"), let gid = UInt32(f[2]) else { return nil }
            let members = f.count >= 4 ? f[3].split(separator: ",").map { String($0).trimmingSpaces } : []
            return GroupEntry(name: f[0], gid: gid, members: members)
        }
    }

    /// Reads `etc/passwd` and `etc/group` of `rootfs`; a missing file counts as empty (numeric
    /// users need none). Symbolic links are followed inside the rootfs, never out to the host's files.
    public init(rootfs: String) {
        self.init(
            passwd: UserResolver.readInRoot(rootfs, "/etc/passwd"),
            group: UserResolver.readInRoot(rootfs, "/etc/group"))
    }

    /// Reads `etc/passwd` and `etc/group` as an overlay of `layers` (top-most first: the container's
    /// upper directory, then the image's layers) shows them, without mounting it: whiteouts and
    /// opaque directories hide what is below, symbolic links resolve inside the overlay.
    public init(layers: [String]) {
        func read(_ path: String) -> String {
            guard let host = OverlayLookup.file(path, in: layers), let data = FileManager.default.contents(atPath: host)
            else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        self.init(passwd: read("/etc/passwd"), group: read("/etc/group"))
    }

    /// Resolves `spec` (Docker's `-u`). An empty spec means root.
    public func resolve(_ spec: String) throws -> ResolvedUser {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userArg = parts.first ?? ""
        let groupArg = parts.count > 1 ? parts[1] : ""

        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var name: String?
        var home: String?
        if userArg.isEmpty {
            if let entry = passwd.first(where: { $0.uid == 0 }) {
                (gid, name, home) = (entry.gid, entry.name, entry.home)
            }
        } else if let entry = passwd.first(where: { $0.name == userArg }) {
            (uid, gid, name, home) = (entry.uid, entry.gid, entry.name, entry.home)
        } else if let numeric = UInt32(userArg) {
            uid = numeric
            if let entry = passwd.first(where: { $0.uid == numeric }) {
                (gid, name, home) = (entry.gid, entry.name, entry.home)
            }
        } else {
            throw BerthError.invalid("unable to find user \(userArg): no matching entries in passwd file")
        }

        var additional: [UInt32] = []
        if !groupArg.isEmpty {
            if let entry = groups.first(where: { $0.name == groupArg }) {
                gid = entry.gid
            } else if let numeric = UInt32(groupArg) {
                gid = numeric
            } else {
                throw BerthError.invalid("unable to find group \(groupArg): no matching entries in group file")
            }
        } else if let name {
            for entry in groups where entry.members.contains(name) && !additional.contains(entry.gid) {
                additional.append(entry.gid)
            }
        }
        return ResolvedUser(uid: uid, gid: gid, additionalGids: additional, home: home)
    }

    /// Reads `path` inside `root`, resolving symbolic links against `root` (an image's
    /// `/etc/passwd -> /host/file` must not read the host's file). Gives "" when there is none.
    static func readInRoot(_ root: String, _ path: String) -> String {
        let fm = FileManager.default
        var relative = path
        for _ in 0..<16 {
            let full = root + relative
            guard let attributes = try? fm.attributesOfItem(atPath: full) else { return "" }
            if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                guard let target = try? fm.destinationOfSymbolicLink(atPath: full) else { return "" }
                if target.hasPrefix("/") {
                    relative = target
                } else {
                    let dir = (relative as NSString).deletingLastPathComponent
                    relative = (dir as NSString).appendingPathComponent(target)
                }
                relative = (relative as NSString).standardizingPath
                if !relative.hasPrefix("/") { relative = "/" + relative }
                continue
            }
            guard let data = fm.contents(atPath: full) else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        return ""
    }
}

/// Finds a file in an overlay's directories the way overlayfs would show it, for reading before (or
/// without) the mount: the first directory (top-most first) with an entry decides; a whiteout (a 0:0
/// character device) hides the name; a directory merges with the same directory in lower layers
/// until one of them is opaque (`trusted.overlay.opaque=y`); symbolic links resolve against the
/// overlay's root, never the host's.
public enum OverlayLookup {
    /// The host path of the regular file (or other non-directory) at `path`, or nil when there is none.
    public static func file(_ path: String, in layers: [String]) -> String? {
        var path = normalized(path)
        for _ in 0..<16 {
            switch step(path, layers) {
            case .found(let host): return host
            case .missing: return nil
            case .link(let next): path = next
            }
        }
        return nil  // a loop of links
    }

    private enum Step { case found(String), missing, link(String) }

    private static func step(_ path: String, _ layers: [String]) -> Step {
        let parts = path.split(separator: "/").map(String.init)
        var dirs = layers
        var inside = ""
        for (i, name) in parts.enumerated() {
            let last = i == parts.count - 1
            var below: [String] = []
            var top: (host: String, mode: mode_t)?
            for d in dirs {
                let p = d + "/" + name
                var st = stat()
                guard lstat(p, &st) == 0 else { continue }
                let kind = st.st_mode & S_IFMT
                if top == nil {
                    top = (p, kind)
                    if kind == S_IFCHR && st.st_rdev == 0 { return .missing }  // whiteout
                    if kind != S_IFDIR { break }
                } else if kind != S_IFDIR {
                    break  // a non-directory below a directory is hidden by it
                }
                below.append(p)
                if opaque(p) { break }
            }
            guard let (host, kind) = top else { return .missing }
            if kind == S_IFLNK {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) else { return .missing }
                let rest = parts[(i + 1)...].joined(separator: "/")
                let base = target.hasPrefix("/") ? target : inside + "/" + target
                return .link(normalized(rest.isEmpty ? base : base + "/" + rest))
            }
            if last { return kind == S_IFDIR ? .missing : .found(host) }
            guard kind == S_IFDIR else { return .missing }
            dirs = below
            inside += "/" + name
        }
        return .missing
    }

    private static func opaque(_ dir: String) -> Bool {
        FileSystem.xattr(dir, name: "trusted.overlay.opaque") == "y"
    }

    /// `path` made absolute with `.` and `..` resolved (`..` at the root stays at the root).
    static func normalized(_ path: String) -> String {
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = out.popLast(); continue }
            out.append(part)
        }
        return "/" + out.joined(separator: "/")
    }
}
