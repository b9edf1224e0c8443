import BerthCore
import BerthSystem

/// A container's root filesystem: an overlay of the image's layers (read-only, shared) with the
/// container's own upper directory.
public enum OverlayRootfs {
    /// `layers` lowest first; overlayfs wants `lowerdir` top-most first.
    public static func mount(layers: [String], upper: String, work: String, target: String) throws {
        guard !layers.isEmpty else { throw BerthError.invalid("an image with no layers has no root filesystem") }
        for d in [upper, work, target] { try FileSystem.makeDirectories(d, mode: 0o755) }
        let options = "lowerdir=\(layers.reversed().joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        try FileSystem.mount(source: "overlay", target: target, type: "overlay", options: options)
    }

    /// Unmounts; not mounted counts as done.
    public static func unmount(_ target: String) throws {
        try FileSystem.unmount(target)
    }
}
