import BerthCore
import BerthSystem

/// Unpacks one layer (or root filesystem) tar into a directory without ever leaving it: paths that
/// climb out with `..`, members below a symlink, hard links to outside, and symlinks whose relative
/// target climbs above the root are refused; nothing is followed while extracting. Overlay whiteouts
/// (`.wh.NAME`, `.wh..wh..opq`) become overlayfs's own markers.
public struct LayerExtractor {
    public let root: String
    public let label: String

    public init(root: String, label: String) {
        self.root = root
        self.label = label
    }

    func refuse(_ name: String, _ why: String) -> BerthError {
        .invalid("archive \(label): entry \"\(name)\" \(why); refusing it")
    }

    /// The member's path as components inside the root (a leading `/` or `./` is dropped, like Docker).
    func components(_ name: String) throws -> [String] {
        var out: [String] = []
        for part in name.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { throw refuse(name, "escapes the root") }
            out.append(String(part))
        }
        return out
    }

    /// Makes the parent directories of `parts` (never through a symlink); returns the parent path.
    func parent(of parts: [String], name: String) throws -> String {
        var path = root
        for p in parts.dropLast() {
            path += "/" + p
            switch FileSystem.kind(path) {
            case .directory: continue
            case .missing: try FileSystem.makeDirectories(path, mode: 0o755)
            case .symlink: throw refuse(name, "passes through the symbolic link \(parts.prefix { $0 != p }.joined(separator: "/") + "/" + p)")
            case .other: throw refuse(name, "has a parent that is not a directory")
            }
        }
        return path
    }

    public func extract(_ reader: TarReader) throws {
        for e in try reader.entries() {
            let parts = try components(e.name)
            guard let last = parts.last else { continue }  // the root itself
            let dir = try parent(of: parts, name: e.name)
            let path = dir + "/" + last
            if last == ".wh..wh..opq" {
                try FileSystem.setXattr(dir, name: "trusted.overlay.opaque", value: "y")
                continue
            }
            if last.hasPrefix(".wh.") {
                let hidden = dir + "/" + last.dropFirst(4)
                try? FileSystem.removeTree(hidden)
                try FileSystem.makeNode(hidden, mode: 0o600, character: true, major: 0, minor: 0)
                continue
            }
            if e.kind != .directory, FileSystem.kind(path) != .missing {
                if FileSystem.kind(path) == .directory { try FileSystem.removeTree(path) } else { try FileSystem.remove(path) }
            }
            switch e.kind {
            case .directory:
                if FileSystem.kind(path) == .missing { try FileSystem.makeDirectories(path, mode: 0o755) }
                guard FileSystem.kind(path) == .directory else { throw refuse(e.name, "is a directory over a non-directory") }
                try FileSystem.chmod(path, UInt32(e.mode))
            case .file:
                try FileSystem.writeFile(path, Array(reader.data(of: e)), mode: UInt32(e.mode))
                try FileSystem.chmod(path, UInt32(e.mode))
            case .symlink:
                // Absolute targets resolve inside the container's root at run time; relative ones must
                // not climb above it.
                if !e.linkName.hasPrefix("/") {
                    var depth = parts.count - 1
                    for p in e.linkName.split(separator: "/") {
                        if p == ".." { depth -= 1 } else if p != "." { depth += 1 }
                        if depth < 0 { throw refuse(e.name, "is a symbolic link to \(e.linkName), outside the root") }
                    }
                }
                try FileSystem.symlink(e.linkName, at: path)
            case .hardlink:
                let target = try components(e.linkName)
                let targetPath = try parent(of: target, name: e.name) + "/" + (target.last ?? "")
                guard !target.isEmpty, FileSystem.kind(targetPath) != .missing else { throw refuse(e.name, "is a hard link to \(e.linkName), which is not in the archive before it") }
                try FileSystem.hardLink(targetPath, at: path)
            case .characterDevice, .blockDevice, .fifo:
                try? FileSystem.makeNode(
                    path, mode: UInt32(e.mode), character: e.kind == .characterDevice, fifo: e.kind == .fifo,
                    major: e.major, minor: e.minor)
            }
            if e.kind != .symlink { try? FileSystem.changeOwner(path, uid: e.uid, gid: e.gid) }
        }
    }
}
