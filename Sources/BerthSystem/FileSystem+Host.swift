import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

// Links, mounts, modes and devices: berthd's side of `FileSystem` (berth-monitor shares only
// FileSystem.swift, see Package.swift).

extension FileSystem {
    /// `readlink(2)`.
    public static func readLink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = try Syscall.retrying("readlink \(path)") { readlink(path, &buf, buf.count - 1) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension FileSystem {
    /// `mount --bind source target`.
    public static func bindMount(_ source: String, at target: String) throws {
        try Syscall.retrying("bind-mount \(source) on \(target)") {
            berth_mount(source, target, "none", berth_ms_bind(), nil)
        }
    }

    /// Unmounts (lazily); not mounted or missing counts as done.
    public static func unmount(_ target: String) throws {
        if berth_umount2(target, berth_mnt_detach()) != 0 {
            let e = Errno.current
            if e != .EINVAL && e != .ENOENT { throw SystemCallError(call: "unmount \(target)", errno: e) }
        }
    }

    /// Removes a directory tree (like `rm -rf`), not crossing into mounts below it.
    public static func removeTree(_ path: String) throws {
        let r = try Subprocess.run(["rm", "-rf", "--one-file-system", "--", path])
        if !r.succeeded { throw SystemCallError(call: "rm -rf \(path): \(r.stderr)", errno: .EIO) }
    }
}

extension FileSystem {
    public static func rename(_ from: String, to: String) throws {
        try Syscall.retrying("rename \(from) to \(to)") { Glibc.rename(from, to) }
    }

    public static func chmod(_ path: String, _ mode: mode_t) throws {
        try Syscall.retrying("chmod \(path)") { Glibc.chmod(path, mode) }
    }

    /// Creates a symbolic link at `path` pointing to `target` (parent directories made).
    public static func symlink(_ target: String, at path: String) throws {
        try makeDirectories(parentOf: path)
        try Syscall.retrying("symlink \(path)") { Glibc.symlink(target, path) }
    }

    /// mount(2) of a filesystem with data options.
    public static func mount(source: String, target: String, type: String, options: String) throws {
        try Syscall.retrying("mount \(type) on \(target)") { berth_mount(source, target, type, 0, options) }
    }
}

extension FileSystem {
    public enum Kind: Sendable, Equatable {
        case missing, directory, symlink, other
    }

    /// What is at `path`, without following a final symlink (lstat).
    public static func kind(_ path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public static func setXattr(_ path: String, name: String, value: String) throws {
        try Syscall.retrying("setxattr \(name) on \(path)") {
            berth_lsetxattr(path, name, value, value.utf8.count)
        }
    }

    /// mknod(2): a character or block device, or a fifo.
    public static func makeNode(
        _ path: String, mode: mode_t, character: Bool, fifo: Bool = false, major: UInt32, minor: UInt32
    ) throws {
        let type: mode_t = fifo ? S_IFIFO : (character ? S_IFCHR : S_IFBLK)
        let dev = dev_t(major & 0xfff) << 8 | dev_t(minor & 0xff) | dev_t(minor & ~0xff) << 12
        try Syscall.retrying("mknod \(path)") { Glibc.mknod(path, type | (mode & 0o7777), dev) }
    }

    public static func hardLink(_ target: String, at path: String) throws {
        try Syscall.retrying("link \(path)") { Glibc.link(target, path) }
    }

    /// lchown(2): never through a symlink.
    public static func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws {
        try Syscall.retrying("chown \(path)") { Glibc.lchown(path, uid, gid) }
    }
}
