import BerthCore
import BerthImage
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

@Suite("image store: tar reading, safe extraction, import, load, built-in busybox")
struct ImageStoreTests {
    func withStore(_ body: (ImageStore, String) throws -> Void) throws {
        let dir = try TestSupport.makeTempDirectory()
        defer { TestSupport.removeTree(dir) }
        try body(try ImageStore(root: dir + "/images"), dir)
    }

    func write(_ bytes: [UInt8], _ path: String) throws -> String {
        try FileSystem.writeFile(path, bytes)
        return path
    }

    @Test func tarRoundTripWithLongNamesAndLinks() throws {
        var w = TarWriter()
        let long = String(repeating: "d", count: 120) + "/file"
        w.add("bin/", kind: .directory, mode: 0o755)
        w.add("bin/tool", kind: .file, mode: 0o755, data: Array("#!/bin/sh\n".utf8))
        w.add("bin/alias", kind: .symlink, linkName: "/bin/tool")
        w.add(long, kind: .file, data: [1, 2, 3])
        let entries = try TarReader(w.finished(), label: "t").entries()
        #expect(entries.map(\.name) == ["bin/", "bin/tool", "bin/alias", long])
        #expect(entries[1].mode == 0o755 && entries[2].linkName == "/bin/tool" && entries[3].data.count == 3)
    }

    @Test(arguments: [
        ("../../etc/passwd", "escapes the root"),
        ("a/../../x", "escapes the root"),
    ])
    func pathTraversalIsRefused(name: String, why: String) throws {
        try withStore { store, dir in
            var w = TarWriter()
            w.add(name, kind: .file, data: [1])
            let path = try write(w.finished(), dir + "/evil.tar")
            #expect(throws: BerthError.self) { try store.importRootfs(tarPath: path, reference: "evil", changes: []) }
            do { _ = try store.importRootfs(tarPath: path, reference: "evil", changes: []) } catch let e as BerthError {
                #expect(e.message.contains(why) && e.message.contains(name))
            }
            #expect(FileSystem.listDirectory(store.root + "/layers").isEmpty)
            #expect(FileSystem.listDirectory(store.root + "/tmp").isEmpty)
            #expect(!FileSystem.exists(dir + "/etc/passwd") && !FileSystem.exists("/x"))
        }
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        try withStore { store, dir in
            try FileSystem.makeDirectories(dir + "/outside")
            var w = TarWriter()
            w.add("a", kind: .symlink, linkName: dir + "/outside")
            w.add("a/planted", kind: .file, data: [1])
            let path = try write(w.finished(), dir + "/evil.tar")
            do {
                _ = try store.importRootfs(tarPath: path, reference: "evil", changes: [])
                Issue.record("a member below a symlink was accepted")
            } catch let e as BerthError {
                #expect(e.message.contains("symbolic link"))
            }
            #expect(!FileSystem.exists(dir + "/outside/planted"))
            #expect(FileSystem.listDirectory(store.root + "/layers").isEmpty)
        }
    }

    @Test func relativeSymlinkClimbingOutIsRefusedAbsoluteIsKept() throws {
        try withStore { store, dir in
            var bad = TarWriter()
            bad.add("etc/x", kind: .symlink, linkName: "../../../etc/shadow")
            #expect(throws: BerthError.self) {
                try store.importRootfs(tarPath: try write(bad.finished(), dir + "/bad.tar"), reference: nil, changes: [])
            }
            var good = TarWriter()
            good.add("bin/sh", kind: .symlink, linkName: "/bin/busybox")
            let image = try store.importRootfs(tarPath: try write(good.finished(), dir + "/good.tar"), reference: "good:1", changes: [])
            #expect(try FileSystem.readLink(store.layerDirectories(of: image)[0] + "/bin/sh") == "/bin/busybox")
        }
    }

    @Test func truncatedAndCorruptArchivesAreRefused() throws {
        try withStore { store, dir in
            var w = TarWriter()
            w.add("big", kind: .file, data: [UInt8](repeating: 7, count: 4000))
            let full = w.finished()
            for (bytes, word) in [(Array(full.prefix(1500)), "truncated"), (Array(full.prefix(300)), "truncated")] {
                do {
                    _ = try store.importRootfs(tarPath: try write(bytes, dir + "/cut.tar"), reference: nil, changes: [])
                    Issue.record("a truncated archive was accepted")
                } catch let e as BerthError { #expect(e.message.contains(word), "\(e.message)") }
            }
            var corrupt = full
            corrupt[10] ^= 0xff
            do {
                _ = try store.importRootfs(tarPath: try write(corrupt, dir + "/bad.tar"), reference: nil, changes: [])
                Issue.record("a corrupt header was accepted")
            } catch let e as BerthError { #expect(e.message.contains("checksum")) }
            #expect(FileSystem.listDirectory(store.root + "/layers").isEmpty)
        }
    }

    @Test func importWithChangesAndGzip() throws {
        try withStore { store, dir in
            var w = TarWriter()
            w.add("srv/", kind: .directory, mode: 0o755)
            w.add("srv/index.html", kind: .file, data: Array("hi\n".utf8))
            let tar = try write(w.finished(), dir + "/root.tar")
            #expect(try Subprocess.run(["gzip", "-k", tar]).succeeded)
            let image = try store.importRootfs(
                tarPath: tar + ".gz", reference: "site:v1",
                changes: ["ENV MODE=prod", "CMD [\"httpd\",\"-f\"]", "WORKDIR /srv", "EXPOSE 80 53/udp", "ENTRYPOINT /init"])
            #expect(image.repoTags == ["site:v1"])
            #expect(image.config.cmd == ["httpd", "-f"] && image.config.entrypoint == ["/bin/sh", "-c", "/init"])
            #expect(image.config.workingDir == "/srv" && image.config.env?.contains("MODE=prod") == true)
            #expect(Set(image.config.exposedPorts?.keys.map { $0 } ?? []) == ["80/tcp", "53/udp"])
            #expect(try store.resolve("site:v1").id == image.id)
            #expect(try FileSystem.readText(store.layerDirectories(of: image)[0] + "/srv/index.html") == "hi\n")
            #expect(throws: BerthError.self) { try store.importRootfs(tarPath: tar, reference: nil, changes: ["RUN rm -rf /"]) }
        }
    }

    @Test func loadDockerSaveAndOCILayout() throws {
        try withStore { store, dir in
            var layer = TarWriter()
            layer.add("hello.txt", kind: .file, data: Array("hello\n".utf8))
            let layerBytes = layer.finished()
            let config = Array(#"{"architecture":"amd64","os":"linux","config":{"Cmd":["cat","/hello.txt"]},"rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
            let configHex = try Subprocess.run(["sha256sum"], input: config).stdout.prefix(64)
            let layerHex = try Subprocess.run(["sha256sum"], input: layerBytes).stdout.prefix(64)
            // docker save
            var save = TarWriter()
            save.add("\(configHex).json", kind: .file, data: config)
            save.add("abc/layer.tar", kind: .file, data: layerBytes)
            save.add("manifest.json", kind: .file, data: Array(#"[{"Config":"\#(configHex).json","RepoTags":["hello:1"],"Layers":["abc/layer.tar"]}]"#.utf8))
            let loaded = try store.load(archivePath: try write(save.finished(), dir + "/save.tar"))
            #expect(loaded.map(\.repoTags) == [["hello:1"]])
            #expect(loaded[0].id == "sha256:\(configHex)" && loaded[0].config.cmd == ["cat", "/hello.txt"])
            // OCI layout
            let manifest = Array(#"{"schemaVersion":2,"config":{"digest":"sha256:\#(configHex)"},"layers":[{"digest":"sha256:\#(layerHex)"}]}"#.utf8)
            let manifestHex = try Subprocess.run(["sha256sum"], input: manifest).stdout.prefix(64)
            var oci = TarWriter()
            oci.add("oci-layout", kind: .file, data: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
            oci.add("index.json", kind: .file, data: Array(#"{"manifests":[{"digest":"sha256:\#(manifestHex)","annotations":{"org.opencontainers.image.ref.name":"hello:oci"}}]}"#.utf8))
            oci.add("blobs/sha256/\(configHex)", kind: .file, data: config)
            oci.add("blobs/sha256/\(manifestHex)", kind: .file, data: manifest)
            oci.add("blobs/sha256/\(layerHex)", kind: .file, data: layerBytes)
            let fromOCI = try store.load(archivePath: try write(oci.finished(), dir + "/oci.tar"))
            #expect(fromOCI.map(\.repoTags) == [["hello:oci"]])
            #expect(FileSystem.listDirectory(store.root + "/layers").count == 1)  // the shared layer is unpacked once
            // A blob whose digest lies is refused.
            var lying = TarWriter()
            lying.add("index.json", kind: .file, data: Array(#"{"manifests":[{"digest":"sha256:\#(String(repeating: "0", count: 64))"}]}"#.utf8))
            lying.add("blobs/sha256/\(String(repeating: "0", count: 64))", kind: .file, data: manifest)
            #expect(throws: BerthError.self) { try store.load(archivePath: try write(lying.finished(), dir + "/lie.tar")) }
            #expect(throws: BerthError.self) { try store.load(archivePath: try write(Array("not a tar".utf8), dir + "/x.tar")) }
        }
    }

    @Test func builtinBusyboxIsIdempotentAndRmiFollowsDocker() throws {
        try withStore { store, _ in
            let a = try store.ensureBuiltin()
            let b = try store.ensureBuiltin()
            #expect(a.id == b.id && a.repoTags == ["busybox:latest"])
            let layer = store.layerDirectories(of: a)[0]
            #expect(try FileSystem.readLink(layer + "/bin/sh") == "/bin/busybox")
            #expect(try store.resolve("busybox").id == a.id)
            #expect(try store.resolve(String(a.id.dropFirst(7).prefix(12))).id == a.id)
            #expect(throws: BerthError.self) { try store.remove("busybox", force: false, isInUse: { _ in true }) }
            let removed = try store.remove("busybox", force: false, isInUse: { _ in false })
            #expect(removed.map(\.deleted).compactMap { $0 } == [a.id])
            #expect(!FileSystem.exists(layer))
            #expect(throws: BerthError.self) { try store.resolve("busybox") }
        }
    }
}
