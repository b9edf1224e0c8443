/// Kernel parameters under /proc/sys, the way `sysctl` names them (`net.ipv4.ip_forward`).
///
/// Network parameters are per network namespace: the kernel resolves `/proc/sys/net` against the
/// namespace of the *thread* that opens the file, so to read or set them for a container call these
/// inside `NetworkNamespace.run { }`.
public enum Sysctl {
    /// `/proc/sys/net/ipv4/ip_forward` for `net.ipv4.ip_forward`. Interface names may contain dots, so
    /// callers with such names pass the path components instead (`path(["net","ipv4","conf",name,"x"])`).
    public static func path(_ key: String) -> String {
        "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
    }

    public static func path(components: [String]) -> String { "/proc/sys/" + components.joined(separator: "/") }

    /// `sysctl -n KEY`
    public static func read(_ key: String) throws -> String {
        try read(atPath: path(key))
    }

    public static func read(atPath path: String) throws -> String {
        var s = try FileSystem.readText(path)
        while s.last == "\n" { s.removeLast() }
        return s
    }

    /// `sysctl -w KEY=VALUE`
    public static func write(_ key: String, _ value: String) throws {
        try write(atPath: path(key), value)
    }

    public static func write(atPath path: String, _ value: String) throws {
        try FileSystem.writeFile(path, Array((value + "\n").utf8), create: false)
    }
}

extension String {
    fileprivate func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
