import BerthCore
import BerthSystem
import Foundation

extension ImageStore {
    /// `busybox:latest` made from Debian's static busybox: `bin/busybox`, one symlink per applet,
    /// `etc/passwd` (root, nobody) and `etc/group`, `tmp`, `root`. The same binary always gives the same
    /// image id, so this is idempotent; no registry is needed.
    @discardableResult
    public func ensureBuiltin(busyboxBinary: String = "/bin/busybox") throws -> ImageRecord {
        guard FileSystem.exists(busyboxBinary) else {
            throw BerthError.notFound("\(busyboxBinary) is missing: apt-get install -y busybox-static")
        }
        let binaryHash = try ImageStore.sha256(of: busyboxBinary)
        let diffID = "sha256:" + (try ImageStore.sha256(bytes: Array("berth-builtin-busybox-layer:\(binaryHash)".utf8)))
        let config = ImageConfig(
            env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cmd: ["sh"])
        let created = "2026-01-01T00:00:00Z"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = try encoder.encode(
            OCIImageConfigBlob(architecture: "amd64", os: "linux", created: created, config: config, diffIDs: [diffID]))
        let id = "sha256:" + (try ImageStore.sha256(bytes: Array(configJSON)))
        if let existing = try? resolve(id), existing.repoTags.contains("busybox:latest"),
            FileSystem.exists(layerDirectories(of: existing)[0] + "/bin/busybox")
        {
            return existing
        }
        let layer = root + "/layers/" + diffID.dropFirst(7)
        if !FileSystem.exists(layer + "/bin/busybox") {
            let tmp = try temporaryDirectory()
            do {
                try makeBusyboxTree(tmp, binary: busyboxBinary)
                try? FileSystem.removeTree(layer)
                try commitLayer(tmp, diffID: diffID)
            } catch {
                try? FileSystem.removeTree(tmp)
                throw error
            }
        }
        let record = ImageRecord(
            id: id, repoTags: ["busybox:latest"], created: created, size: diskUsage(layer), config: config,
            diffIDs: [diffID], architecture: "amd64", os: "linux")
        try save(record)
        return record
    }

    func makeBusyboxTree(_ dir: String, binary: String) throws {
        for d in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "var", "proc", "sys", "dev"] {
            try FileSystem.makeDirectories(dir + "/" + d, mode: 0o755)
        }
        try FileSystem.makeDirectories(dir + "/tmp", mode: 0o777)
        try FileSystem.chmod(dir + "/tmp", 0o1777)
        try FileSystem.writeFile(dir + "/bin/busybox", try FileSystem.readFile(binary), mode: 0o755)
        try FileSystem.chmod(dir + "/bin/busybox", 0o755)
        let list = try Subprocess.run([binary, "--list-full"])
        guard list.succeeded else { throw BerthError(.system, "\(binary) --list-full failed: \(list.stderr)") }
        for applet in list.stdout.split(separator: "\n").map(String.init) where applet != "bin/busybox" {
            try FileSystem.symlink("/bin/busybox", at: dir + "/" + applet)
        }
        try FileSystem.writeFile(
            dir + "/etc/passwd",
            Array("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".utf8))
        try FileSystem.writeFile(dir + "/etc/group", Array("root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n".utf8))
        for f in ["hosts", "hostname", "resolv.conf"] { try FileSystem.writeFile(dir + "/etc/" + f, []) }
    }
}

/// The OCI image config blob (what an image id is the hash of).
struct OCIImageConfigBlob: Codable {
    var architecture: String
    var os: String
    var created: String
    var config: ImageConfig
    var rootfs: RootFS

    struct RootFS: Codable {
        var type = "layers"
        var diff_ids: [String]
    }

    init(architecture: String, os: String, created: String, config: ImageConfig, diffIDs: [String]) {
        self.architecture = architecture
        self.os = os
        self.created = created
        self.config = config
        self.rootfs = RootFS(diff_ids: diffIDs)
    }
}
