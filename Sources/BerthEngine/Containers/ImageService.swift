import BerthAPI
import BerthCore
import BerthImage
import BerthSystem
import Foundation

/// `/images`: the image store, with "in use" answered by the container engine.
public struct ImageAPI: ImageService {
    public let store: ImageStore
    public let containers: ContainerEngine

    public init(store: ImageStore, containers: ContainerEngine) {
        self.store = store
        self.containers = containers
    }

    public func listImages() async throws -> [ImageSummary] {
        let used = try await containers.list().map(\.imageId)
        return try store.list().map { i in
            ImageSummary(
                Id: i.id, RepoTags: i.repoTags, Created: ContainerEngine.unixTime(i.created), Size: i.size,
                Labels: i.config.labels ?? [:], Containers: used.filter { $0 == i.id }.count)
        }
    }

    public func inspectImage(_ ref: String) async throws -> ImageInspect {
        let i = try store.resolve(ref)
        var c = ContainerConfig()
        c.User = i.config.user ?? ""
        c.Env = i.config.env
        c.Cmd = i.config.cmd.map(StringOrList.init)
        c.Entrypoint = i.config.entrypoint.map(StringOrList.init)
        c.WorkingDir = i.config.workingDir ?? ""
        c.Labels = i.config.labels
        c.ExposedPorts = i.config.exposedPorts.map { Dictionary(uniqueKeysWithValues: $0.keys.map { ($0, EmptyObject()) }) }
        c.StopSignal = i.config.stopSignal
        return ImageInspect(
            Id: i.id, RepoTags: i.repoTags, Created: i.created, Config: c, Architecture: i.architecture, Os: i.os,
            Size: i.size, Layers: i.diffIDs)
    }

    public func removeImage(_ ref: String, force: Bool) async throws -> [ImageDeleteResponseItem] {
        let used = Set(try await containers.list().map(\.imageId))
        return try store.remove(ref, force: force, isInUse: { used.contains($0) }).map {
            ImageDeleteResponseItem(Untagged: $0.untagged, Deleted: $0.deleted)
        }
    }

    public func loadImages(archive: [UInt8]) async throws -> [String] {
        let path = try spool(archive)
        defer { try? FileSystem.remove(path) }
        return try store.load(archivePath: path).map { $0.repoTags.first ?? $0.id }
    }

    public func importImage(archive: [UInt8], reference: String?, changes: [String]) async throws -> String {
        let path = try spool(archive)
        defer { try? FileSystem.remove(path) }
        return try store.importRootfs(tarPath: path, reference: reference, changes: changes).id
    }

    /// The request body to a file the image store reads.
    func spool(_ bytes: [UInt8]) throws -> String {
        guard !bytes.isEmpty else { throw BerthError.invalid("the request body is empty: send the archive") }
        let path = store.root + "/tmp/upload-" + Identifier.random().prefix(12)
        try FileSystem.writeFile(path, bytes, mode: 0o600)
        return path
    }
}
