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

    /// Removes a directory tree (like `rm -rf --one-file-system`) in this process: symbolic links are
    /// removed, never followed, and a directory on another filesystem (a mount below `path`) is left
    /// alone and named in the error, after everything else was removed. A missing `path` is done.
    public static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            let e = Errno.current
            if e == .ENOENT { return }
            throw SystemCallError(call: "remove \(path)", errno: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            try Syscall.retrying("remove \(path)") { unlink(path) }
            return
        }
        let fd = try FileSystem.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        var mounts: [String] = []
        defer { Syscall.close(fd) }
        try removeContents(of: fd, path: path, device: st.st_dev, mounts: &mounts)
        guard mounts.isEmpty else {
            throw SystemCallError(call: "remove \(path): \(mounts.joined(separator: ", ")) is a mount point; unmount it first", errno: .EBUSY)
        }
        try Syscall.retrying("remove \(path)") { rmdir(path) }
    }

    /// Empties the directory open as `fd`; subdirectories on another device than `device` are kept
    /// and added to `mounts`.
    private static func removeContents(of fd: Int32, path: String, device: dev_t, mounts: inout [String]) throws {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { Syscall.close(copy) }
            throw SystemCallError(call: "read directory \(path)", errno: .current)
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names {
            var st = stat()
            if fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                if Errno.current == .ENOENT { continue }
                throw SystemCallError(call: "stat \(path)/\(name)", errno: .current)
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if st.st_dev != device {
                    mounts.append(path + "/" + name)
                    continue
                }
                let sub = try Syscall.retrying("open \(path)/\(name)") {
                    openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                let before = mounts.count
                do {
                    defer { Syscall.close(sub) }
                    try removeContents(of: sub, path: path + "/" + name, device: device, mounts: &mounts)
                }
                if mounts.count > before { continue }
                try Syscall.retrying("remove \(path)/\(name)") { unlinkat(fd, name, AT_REMOVEDIR) }
            } else {
                if unlinkat(fd, name, 0) != 0 && Errno.current != .ENOENT {
                    throw SystemCallError(call: "remove \(path)/\(name)", errno: .current)
                }
            }
        }
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

    /// Makes `dir` a mount point of its own with shared propagation, as `ip netns add` does for
    /// `/run/netns`: binds it on itself unless it is one already. Pins mounted below it can then be
    /// detached together in another mount namespace, and unmounting one here reaches every copy.
    /// Without `bindOnItself` a directory that is no mount point is left as it is.
    public static func makeSharedMountPoint(_ dir: String, bindOnItself: Bool = true) throws {
        try makeDirectories(dir, mode: 0o755)
        if berth_mount(nil, dir, nil, berth_ms_shared() | berth_ms_rec(), nil) == 0 { return }
        guard Errno.current == .EINVAL else { throw SystemCallError(call: "mount --make-rshared \(dir)", errno: Errno.current) }
        guard bindOnItself else { return }
        try Syscall.retrying("bind-mount \(dir) on itself") { berth_mount(dir, dir, nil, berth_ms_bind() | berth_ms_rec(), nil) }
        try Syscall.retrying("mount --make-rshared \(dir)") { berth_mount(nil, dir, nil, berth_ms_shared() | berth_ms_rec(), nil) }
    }

    /// The value of an extended attribute of `path` itself (not a link's target), nil when it has none.
    public static func xattr(_ path: String, name: String) -> String? {
        var value = [UInt8](repeating: 0, count: 256)
        let n = berth_lgetxattr(path, name, &value, value.count)
        return n < 0 ? nil : String(decoding: value.prefix(n), as: UTF8.self)
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
