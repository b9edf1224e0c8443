import BerthCore
import BerthSystem

/// A container's root filesystem: an overlay of the image's layers (read-only, shared) with the
/// container's own upper directory.
public enum OverlayRootfs {
    /// Makes the upper, work and mount-point directories and gives the overlay's mount options.
    /// `layers` lowest first; overlayfs wants `lowerdir` top-most first.
    public static func prepare(layers: [String], upper: String, work: String, target: String) throws -> String {
        guard !layers.isEmpty else { throw BerthError.invalid("an image with no layers has no root filesystem") }
        for d in [upper, work, target] { try FileSystem.makeDirectories(d, mode: 0o755) }
        return "lowerdir=\(layers.reversed().joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
    }

    /// Mounts the overlay on `target` in this process's mount namespace. (A container's monitor mounts
    /// its root filesystem in a namespace of its own instead, with `prepare`'s options.)
    public static func mount(layers: [String], upper: String, work: String, target: String) throws {
        let options = try prepare(layers: layers, upper: upper, work: work, target: target)
        try FileSystem.mount(source: "overlay", target: target, type: "overlay", options: options)
    }

    /// Unmounts; not mounted counts as done.
    public static func unmount(_ target: String) throws {
        try FileSystem.unmount(target)
    }
}
