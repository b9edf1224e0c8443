import BerthCore
import BerthSystem

extension ImageStore {
    /// `docker import`: not available until the safe tar reader lands.
    public func importRootfs(tarPath: String, reference: String?, changes: [String]) throws -> ImageRecord {
        throw BerthError(.notImplemented, "berth import is not available yet")
    }

    /// `docker load`: not available until the safe tar reader lands.
    public func load(archivePath: String) throws -> [ImageRecord] {
        throw BerthError(.notImplemented, "berth load is not available yet")
    }
}
