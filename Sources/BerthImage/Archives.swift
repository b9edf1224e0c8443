import BerthCore
import BerthSystem
import Foundation

extension ImageStore {
    /// `docker import`: a root filesystem tarball (tar or tar.gz) becomes a one-layer image.
    /// `changes` are Dockerfile-like lines: ENV, CMD, ENTRYPOINT, WORKDIR, EXPOSE, USER, LABEL.
    public func importRootfs(tarPath: String, reference: String?, changes: [String]) throws -> ImageRecord {
        var config = ImageConfig(env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        for c in changes { try ImageStore.apply(change: c, to: &config) }
        let tar = try ImageStore.uncompressed(try FileSystem.readFile(tarPath), label: tarPath)
        let diffID = try addLayer(tar, label: tarPath)
        return try register(
            config: config, diffIDs: [diffID], created: WallClock.rfc3339(), tags: try reference.map { [try ImageStore.validTag($0)] } ?? [])
    }

    /// `docker load`: a `docker save` archive (manifest.json) or an OCI image layout (index.json).
    public func load(archivePath: String) throws -> [ImageRecord] {
        let outer = TarReader(try ImageStore.uncompressed(try FileSystem.readFile(archivePath), label: archivePath), label: archivePath)
        var files: [String: ArraySlice<UInt8>] = [:]
        for e in try outer.entries() where e.kind == .file {
            files[e.name.hasPrefix("./") ? String(e.name.dropFirst(2)) : e.name] = outer.data(of: e)
        }
        func member(_ name: String) throws -> ArraySlice<UInt8> {
            guard let d = files[name] else {
                throw BerthError.invalid("archive \(archivePath) names \(name), which it does not contain")
            }
            return d
        }
        var loaded: [ImageRecord] = []
        if let manifest = files["manifest.json"] {
            struct Entry: Decodable {
                var Config: String
                var RepoTags: [String]?
                var Layers: [String]
            }
            let entries: [Entry]
            do { entries = try JSONDecoder().decode([Entry].self, from: Data(manifest)) } catch {
                throw BerthError.invalid("archive \(archivePath): manifest.json is not a docker save manifest: \(error)")
            }
            for e in entries {
                let config = try member(e.Config)
                var diffIDs: [String] = []
                for layer in e.Layers {
                    diffIDs.append(try addLayer(try ImageStore.uncompressed(Array(try member(layer)), label: layer), label: layer))
                }
                loaded.append(try register(configBlob: Array(config), diffIDs: diffIDs, tags: e.RepoTags ?? [], label: archivePath))
            }
        } else if let index = files["index.json"] {
            struct Descriptor: Decodable {
                var digest: String
                var annotations: [String: String]?
            }
            struct Index: Decodable { var manifests: [Descriptor] }
            struct Manifest: Decodable {
                var config: Descriptor
                var layers: [Descriptor]
            }
            func blob(_ digest: String) throws -> [UInt8] {
                let hex = digest.replacingOccurrences(of: "sha256:", with: "")
                let bytes = Array(try member("blobs/sha256/" + hex))
                guard try ImageStore.sha256(bytes: bytes) == hex else {
                    throw BerthError.invalid("archive \(archivePath): blob \(digest) does not match its digest")
                }
                return bytes
            }
            let idx: Index
            do { idx = try JSONDecoder().decode(Index.self, from: Data(index)) } catch {
                throw BerthError.invalid("archive \(archivePath): index.json is not an OCI image index: \(error)")
            }
            for d in idx.manifests {
                let m: Manifest
                do { m = try JSONDecoder().decode(Manifest.self, from: Data(try blob(d.digest))) } catch let e as BerthError {
                    throw e
                } catch {
                    throw BerthError.invalid("archive \(archivePath): manifest \(d.digest) is not an OCI image manifest")
                }
                var diffIDs: [String] = []
                for layer in m.layers {
                    diffIDs.append(try addLayer(try ImageStore.uncompressed(try blob(layer.digest), label: layer.digest), label: layer.digest))
                }
                var tags: [String] = []
                if let ref = d.annotations?["io.containerd.image.name"] ?? d.annotations?["org.opencontainers.image.ref.name"] {
                    tags.append(ref.contains(":") ? ref : "loaded:" + ref)
                }
                loaded.append(try register(configBlob: try blob(m.config.digest), diffIDs: diffIDs, tags: tags, label: archivePath))
            }
        } else {
            throw BerthError.invalid(
                "archive \(archivePath) is neither a docker save archive (manifest.json) nor an OCI image layout (index.json)")
        }
        return loaded
    }

    /// Unpacks a layer once (keyed by its diffID) into `layers/`; returns `sha256:<hex>`.
    func addLayer(_ tar: [UInt8], label: String) throws -> String {
        let diffID = "sha256:" + (try ImageStore.sha256(bytes: tar))
        let target = root + "/layers/" + diffID.dropFirst(7)
        if FileSystem.exists(target) { return diffID }
        let tmp = try temporaryDirectory()
        do {
            try LayerExtractor(root: tmp, label: label).extract(TarReader(tar, label: label))
            try commitLayer(tmp, diffID: diffID)
        } catch {
            try? FileSystem.removeTree(tmp)
            throw error
        }
        return diffID
    }

    /// Stores an image from an OCI/Docker config blob (its id is the blob's sha256).
    func register(configBlob: [UInt8], diffIDs: [String], tags: [String], label: String) throws -> ImageRecord {
        struct Blob: Decodable {
            var architecture: String?
            var os: String?
            var created: String?
            var config: ImageConfig?
        }
        let blob: Blob
        do { blob = try JSONDecoder().decode(Blob.self, from: Data(configBlob)) } catch {
            throw BerthError.invalid("archive \(label): the image configuration is not valid JSON: \(error)")
        }
        let id = "sha256:" + (try ImageStore.sha256(bytes: configBlob))
        let size = diffIDs.reduce(Int64(0)) { $0 + diskUsage(root + "/layers/" + $1.dropFirst(7)) }
        let record = ImageRecord(
            id: id, repoTags: try tags.map(ImageStore.validTag), created: blob.created ?? WallClock.rfc3339(), size: size,
            config: blob.config ?? ImageConfig(), diffIDs: diffIDs, architecture: blob.architecture ?? "amd64",
            os: blob.os ?? "linux")
        try save(record)
        return record
    }

    func register(config: ImageConfig, diffIDs: [String], created: String, tags: [String]) throws -> ImageRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let blob = try encoder.encode(
            OCIImageConfigBlob(architecture: "amd64", os: "linux", created: created, config: config, diffIDs: diffIDs))
        return try register(configBlob: Array(blob), diffIDs: diffIDs, tags: tags, label: "import")
    }

    static func validTag(_ reference: String) throws -> String {
        let r = normalize(reference)
        let ok = r.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-/:".contains($0)) }
        guard ok, !r.hasPrefix(":") else {
            throw BerthError.invalid("invalid reference format \"\(reference)\": use lower-case NAME[:TAG]")
        }
        return r
    }

    /// gzip'ed archives (magic 1f 8b) are decompressed with gzip(1).
    static func uncompressed(_ bytes: [UInt8], label: String) throws -> [UInt8] {
        guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else { return bytes }
        let r = try Subprocess.run(["gzip", "-dc"], input: bytes)
        guard r.succeeded else {
            throw BerthError.invalid("archive \(label) is a damaged gzip file: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return r.stdoutBytes
    }

    /// One `--change` line applied to an image configuration.
    static func apply(change: String, to c: inout ImageConfig) throws {
        let trimmed = change.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            throw BerthError.invalid("invalid --change \"\(change)\": expected INSTRUCTION ARGUMENTS, e.g. 'CMD [\"sh\"]'")
        }
        let instruction = trimmed[..<space].uppercased()
        let rest = trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces)
        func list() -> [String] {
            if rest.hasPrefix("["), let a = try? JSONDecoder().decode([String].self, from: Data(rest.utf8)) { return a }
            return ["/bin/sh", "-c", rest]
        }
        switch instruction {
        case "CMD": c.cmd = list()
        case "ENTRYPOINT": c.entrypoint = list()
        case "WORKDIR": c.workingDir = rest
        case "USER": c.user = rest
        case "ENV":
            let kv = rest.contains("=") ? rest.split(separator: " ").map(String.init) : [rest.replacingOccurrences(of: " ", with: "=", options: [], range: rest.range(of: " "))]
            for pair in kv {
                let key = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? pair
                c.env = (c.env ?? []).filter { !$0.hasPrefix(key + "=") } + [pair]
            }
        case "EXPOSE":
            for p in rest.split(separator: " ") {
                let key = p.contains("/") ? String(p) : "\(p)/tcp"
                guard let port = UInt16(key.split(separator: "/")[0]), port > 0 else {
                    throw BerthError.invalid("invalid --change \"\(change)\": \(p) is not a port")
                }
                c.exposedPorts = (c.exposedPorts ?? [:]).merging([key: [:]]) { a, _ in a }
            }
        case "LABEL":
            for pair in rest.split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                c.labels = (c.labels ?? [:]).merging([kv[0]: kv.count > 1 ? kv[1] : ""]) { _, b in b }
            }
        case "STOPSIGNAL": c.stopSignal = rest
        default:
            throw BerthError.invalid(
                "invalid --change \"\(change)\": \(instruction) is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL)")
        }
    }
}
