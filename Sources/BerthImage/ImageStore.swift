import BerthCore
import BerthSystem
import Foundation

/// An image's run configuration (OCI image config `config`), with Docker's JSON keys.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var user: String?
    public var env: [String]?
    public var cmd: [String]?
    public var entrypoint: [String]?
    public var workingDir: String?
    public var exposedPorts: [String: [String: String]]?
    public var labels: [String: String]?
    public var stopSignal: String?

    public init(
        user: String? = nil, env: [String]? = nil, cmd: [String]? = nil, entrypoint: [String]? = nil,
        workingDir: String? = nil, exposedPorts: [String: [String: String]]? = nil, labels: [String: String]? = nil,
        stopSignal: String? = nil
    ) {
        self.user = user
        self.env = env
        self.cmd = cmd
        self.entrypoint = entrypoint
        self.workingDir = workingDir
        self.exposedPorts = exposedPorts
        self.labels = labels
        self.stopSignal = stopSignal
    }

    enum CodingKeys: String, CodingKey {
        case user = "User"
        case env = "Env"
        case cmd = "Cmd"
        case entrypoint = "Entrypoint"
        case workingDir = "WorkingDir"
        case exposedPorts = "ExposedPorts"
        case labels = "Labels"
        case stopSignal = "StopSignal"
    }
}

/// One image berth has: its id (sha256 of its config), tags, configuration and layers.
public struct ImageRecord: Codable, Sendable, Equatable {
    public var id: String
    public var repoTags: [String]
    public var created: String
    public var size: Int64
    public var config: ImageConfig
    /// `sha256:…` of each uncompressed layer, lowest first; each is unpacked once under `layers/`.
    public var diffIDs: [String]
    public var architecture: String
    public var os: String
}

/// The image store under `$BERTH_ROOT/images`: `layers/<hex>/` (unpacked once, shared),
/// `index.json` (images and tags, replaced atomically).
public final class ImageStore: @unchecked Sendable {
    public let root: String
    private let lock = NSLock()

    public init(root: String) throws {
        self.root = root
        try FileSystem.makeDirectories(root + "/layers", mode: 0o700)
        // Half-unpacked layers and uploads of an interrupted berthd.
        try? FileSystem.removeTree(root + "/tmp")
        try FileSystem.makeDirectories(root + "/tmp", mode: 0o700)
    }

    var indexPath: String { root + "/index.json" }

    func readIndex() -> [ImageRecord] {
        guard let bytes = try? FileSystem.readFile(indexPath) else { return [] }
        return (try? JSONDecoder().decode([ImageRecord].self, from: Data(bytes))) ?? []
    }

    func writeIndex(_ images: [ImageRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let tmp = indexPath + ".tmp"
        try FileSystem.writeFile(tmp, Array(try encoder.encode(images)), mode: 0o600)
        try FileSystem.rename(tmp, to: indexPath)
    }

    public func list() throws -> [ImageRecord] { lock.withLock { readIndex() } }

    /// `name`, `name:tag`, a full or short id, or `sha256:…`; "busybox" means "busybox:latest".
    public func resolve(_ reference: String) throws -> ImageRecord {
        let all = lock.withLock { readIndex() }
        return try ImageStore.resolve(reference, in: all)
    }

    static func normalize(_ reference: String) -> String {
        ImageReference.normalize(reference)
    }

    static func resolve(_ reference: String, in all: [ImageRecord]) throws -> ImageRecord {
        let tag = normalize(reference)
        if let i = all.first(where: { $0.repoTags.contains(tag) }) { return i }
        let hex = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if hex.count >= 4, hex.allSatisfy(\.isHexDigit) {
            let matches = all.filter { $0.id.dropFirst(7).hasPrefix(hex) }
            if matches.count == 1 { return matches[0] }
            if matches.count > 1 { throw BerthError.invalid("image id prefix \(hex) is ambiguous") }
        }
        throw BerthError.notFound("No such image: \(reference)")
    }

    /// The unpacked layer directories of an image, lowest first.
    public func layerDirectories(of image: ImageRecord) -> [String] {
        image.diffIDs.map { root + "/layers/" + $0.replacingOccurrences(of: "sha256:", with: "") }
    }

    /// Adds (or replaces) an image and moves its tags away from any other image.
    func save(_ image: ImageRecord) throws {
        try lock.withLock {
            var all = readIndex()
            for i in all.indices { all[i].repoTags.removeAll { image.repoTags.contains($0) } }
            all.removeAll { $0.id == image.id }
            all.append(image)
            // An image left with no tag stays (Docker shows it as <none>).
            try writeIndex(all)
        }
    }

    /// `docker rmi`: untags; deletes the image when no tag is left (refused while a container uses it,
    /// unless forced), then the layers no image uses any more.
    public func remove(_ reference: String, force: Bool, isInUse: (String) -> Bool) throws -> [(untagged: String?, deleted: String?)] {
        try lock.withLock {
            var all = readIndex()
            let image = try ImageStore.resolve(reference, in: all)
            var out: [(String?, String?)] = []
            let tag = ImageStore.normalize(reference)
            let byTag = image.repoTags.contains(tag)
            guard let index = all.firstIndex(where: { $0.id == image.id }) else { return [] }
            if byTag && image.repoTags.count > 1 && !force {
                all[index].repoTags.removeAll { $0 == tag }
                out.append((tag, nil))
                try writeIndex(all)
                return out
            }
            if isInUse(image.id) && !force {
                throw BerthError.conflict(
                    "conflict: unable to remove image \(reference): it is used by a container; remove the container first (or use --force)")
            }
            for t in all[index].repoTags { out.append((t, nil)) }
            all.remove(at: index)
            out.append((nil, image.id))
            try writeIndex(all)
            let used = Set(all.flatMap(\.diffIDs))
            for layer in image.diffIDs where !used.contains(layer) {
                try? FileSystem.removeTree(root + "/layers/" + layer.replacingOccurrences(of: "sha256:", with: ""))
            }
            return out
        }
    }

    /// Moves a finished layer directory into place (atomic rename); an existing one is kept.
    func commitLayer(_ tmp: String, diffID: String) throws {
        let target = root + "/layers/" + diffID.replacingOccurrences(of: "sha256:", with: "")
        if FileSystem.exists(target) {
            try? FileSystem.removeTree(tmp)
            return
        }
        try FileSystem.rename(tmp, to: target)
    }

    func temporaryDirectory() throws -> String {
        let dir = root + "/tmp/" + Identifier.random().prefix(16)
        try FileSystem.makeDirectories(dir, mode: 0o755)
        return dir
    }

    /// Bytes used by a layer directory (`du -sb`).
    func diskUsage(_ path: String) -> Int64 {
        let r = try? Subprocess.run(["du", "-sb", path])
        return Int64(r?.stdout.split(separator: "\t").first ?? "0") ?? 0
    }

    static func sha256(of path: String) throws -> String {
        let r = try Subprocess.run(["sha256sum", path])
        guard r.succeeded, let hex = r.stdout.split(separator: " ").first else {
            throw BerthError(.system, "cannot hash \(path): \(r.stderr)")
        }
        return String(hex)
    }

    static func sha256(bytes: [UInt8]) throws -> String {
        let r = try Subprocess.run(["sha256sum"], input: bytes)
        guard r.succeeded, let hex = r.stdout.split(separator: " ").first else {
            throw BerthError(.system, "cannot hash: \(r.stderr)")
        }
        return String(hex)
    }
}
