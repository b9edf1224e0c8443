/// Image names as berth keeps them: `busybox` is `busybox:latest`, `docker.io/` and `library/` are
/// implied (so `docker.io/library/busybox` is `busybox:latest` too).
public enum ImageReference {
    public static func normalize(_ reference: String) -> String {
        var r = reference
        if r.hasPrefix("docker.io/") { r.removeFirst("docker.io/".count) }
        if r.hasPrefix("library/") { r.removeFirst("library/".count) }
        let lastSlash = r.lastIndex(of: "/").map { r.index(after: $0) } ?? r.startIndex
        return r[lastSlash...].contains(":") ? r : r + ":latest"
    }
}
