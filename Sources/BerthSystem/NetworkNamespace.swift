import CBerthSystem

#if canImport(Glibc)
import Glibc
#endif

/// A Linux network namespace, named by a path that keeps it alive: a bind mount of an
/// `nsfs` file (`$BERTH_RUN/netns/<id>`, `/run/netns/<name>`) or a `/proc/<pid>/ns/net` link.
///
/// Entering it happens only on dedicated threads (`run`), never on shared ones.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The path whose open descriptor refers to the namespace.
    public let path: String

    public init(path: String) { self.path = path }

    /// The namespace berthd itself runs in (its main thread's).
    public static var host: NetworkNamespace { NetworkNamespace(path: "/proc/1/ns/net") }

    /// The namespace of the calling process (its thread group leader).
    public static var current: NetworkNamespace { NetworkNamespace(path: "/proc/self/ns/net") }

    /// The namespace of a process.
    public static func of(pid: Int32) -> NetworkNamespace { NetworkNamespace(path: "/proc/\(pid)/ns/net") }

    public var description: String { path }

    /// `ip netns add`: makes a fresh network namespace and pins it with a bind mount at `path`
    /// (creating the parent directory). The mount is made before anything else can see the file,
    /// and if it fails the placeholder file is removed, so no half-made namespace is left.
    @discardableResult
    public static func create(at path: String) throws -> NetworkNamespace {
        try FileSystem.makeDirectories(parentOf: path, mode: 0o755)
        let fd = try Syscall.retrying("create \(path)") { Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444) }
        Syscall.close(fd)
        do {
            try DedicatedThread.runBlocking {
                try Syscall.retrying("unshare(CLONE_NEWNET)") { berth_unshare(berth_clone_newnet()) }
                let source = "/proc/self/task/\(berth_gettid())/ns/net"
                try Syscall.retrying("bind-mount \(source) on \(path)") {
                    berth_mount(source, path, "none", berth_ms_bind(), nil)
                }
            }
        } catch {
            unlink(path)
            throw error
        }
        return NetworkNamespace(path: path)
    }

    /// `ip netns delete`: unmounts and removes the pin. Already gone is success.
    /// The namespace itself disappears once no process, mount or descriptor holds it.
    public func delete() throws {
        if berth_umount2(path, berth_mnt_detach()) != 0 {
            let e = Errno.current
            // EINVAL: not a mount point (already unmounted); ENOENT: no such file.
            if e != .EINVAL && e != .ENOENT { throw SystemCallError(call: "unmount \(path)", errno: e) }
        }
        if unlink(path) != 0 {
            let e = Errno.current
            if e != .ENOENT { throw SystemCallError(call: "unlink \(path)", errno: e) }
        }
    }

    /// Whether `path` currently pins a live network namespace (an nsfs file).
    public var exists: Bool {
        berth_is_nsfs(path) == 1
    }

    /// The namespace's inode number, the `net:[N]` in `ls -l /proc/PID/ns`.
    public func inode() throws -> UInt64 {
        var st = stat()
        try Syscall.retrying("stat \(path)") { stat(path, &st) }
        return UInt64(st.st_ino)
    }

    /// Opens the namespace file (O_RDONLY|O_CLOEXEC). The caller owns the descriptor.
    public func open() throws -> Int32 {
        try Syscall.retrying("open \(path)") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// The names of namespace pins in a directory (`ip netns list`).
    public static func list(directory: String) -> [String] {
        FileSystem.listDirectory(directory).filter { NetworkNamespace(path: directory + "/" + $0).exists }.sorted()
    }

    /// Runs `body` on a dedicated new thread that has entered this namespace, and waits for it.
    /// Sockets opened there stay in this namespace and may be used from any thread afterwards;
    /// processes spawned there start in it.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let fd = try open()
        defer { Syscall.close(fd) }
        return try DedicatedThread.runBlocking {
            try Syscall.retrying("setns \(path)") { berth_setns(fd, berth_clone_newnet()) }
            return try body()
        }
    }

    /// Runs `body` in this namespace: directly on the calling thread when it is the process's own
    /// namespace (no thread needed), else like `run`.
    public func runHere<T>(_ body: () throws -> T) throws -> T {
        path == NetworkNamespace.current.path ? try body() : try run(body)
    }

    /// Like `run`, but suspends instead of blocking a concurrency thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let path = self.path
        return try await DedicatedThread.run {
            let fd = try Syscall.retrying("open \(path)") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
            defer { Syscall.close(fd) }
            try Syscall.retrying("setns \(path)") { berth_setns(fd, berth_clone_newnet()) }
            return try body()
        }
    }
}
