import CBerthSystem
#if canImport(Glibc)
import Glibc
#elseif hasFeature(Embedded)
import CBerthLibc
#endif

/// Small file helpers on libc, so kernel-facing modules need no Foundation.
public enum FileSystem {
    /// `mkdir -p` for the parent directory of `path`.
    public static func makeDirectories(parentOf path: String, mode: mode_t = 0o755) throws(SystemCallError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        try makeDirectories(String(path[..<slash]), mode: mode)
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemCallError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 {
                let e = Errno.current
                if e != .EEXIST { throw SystemCallError(call: "mkdir \(current)", errno: e) }
            }
        }
    }

    /// Entry names of a directory, without `.` and `..`; empty if it cannot be read.
    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// open(2); the caller closes the descriptor.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(SystemCallError) -> Int32 {
        try Syscall.retrying("open \(path)") { berth_open(path, flags, mode) }
    }

    /// Reads a whole (small) file, e.g. from /proc or /sys.
    public static func readFile(_ path: String) throws(SystemCallError) -> [UInt8] {
        let fd = try open(path, O_RDONLY | O_CLOEXEC)
        defer { Syscall.close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try Syscall.retrying("read \(path)") {
                buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            }
            if n == 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    public static func readText(_ path: String) throws(SystemCallError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes `bytes` to an existing file (O_WRONLY|O_TRUNC) or creates it with `mode`.
    public static func writeFile(
        _ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, create: Bool = true
    ) throws(SystemCallError) {
        let flags = O_WRONLY | O_TRUNC | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = try open(path, flags, mode: mode)
        defer { Syscall.close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = try Syscall.retrying("write \(path)") {
                bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            }
            offset += n
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Removes a file; already gone is success.
    public static func remove(_ path: String) throws(SystemCallError) {
        if unlink(path) != 0 {
            let e = Errno.current
            if e != .ENOENT { throw SystemCallError(call: "unlink \(path)", errno: e) }
        }
    }
}
