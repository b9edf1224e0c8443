import BerthSystem
import BerthTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileSystem.removeTree`, what `rm` of a container uses for its directory: like
/// `rm -rf --one-file-system`, in berthd's own process.
@Suite("removeTree (privileged: mounts a tmpfs)", .serialized) struct RemoveTreeTests {
    @Test func removesEverythingButFollowsNoLinkAndCrossesNoMount() throws {
        let dir = try TestSupport.makeTempDirectory()
        let outside = try TestSupport.makeTempDirectory()
        defer {
            try? FileSystem.unmount(dir + "/tree/mnt")
            TestSupport.removeTree(dir)
            TestSupport.removeTree(outside)
        }
        try FileSystem.writeFile(outside + "/keep", Array("kept".utf8))
        let tree = dir + "/tree"
        try FileSystem.makeDirectories(tree + "/a/b/c")
        try FileSystem.writeFile(tree + "/a/b/c/file", Array("x".utf8))
        try FileSystem.writeFile(tree + "/top", [])
        try FileSystem.symlink(outside, at: tree + "/a/link-to-dir")
        try FileSystem.symlink(outside + "/keep", at: tree + "/a/b/link-to-file")
        // A directory nobody may enter (like overlayfs's work/work) is still removed by root.
        try FileSystem.makeDirectories(tree + "/locked/inner")
        try FileSystem.chmod(tree + "/locked", 0)

        try FileSystem.removeTree(tree)
        #expect(!FileSystem.exists(tree))
        #expect(try FileSystem.readText(outside + "/keep") == "kept")  // links removed, not followed

        // A mount below: everything else goes, the mount and what is in it stay, the error names it.
        try FileSystem.makeDirectories(tree + "/mnt")
        try FileSystem.makeDirectories(tree + "/other")
        try FileSystem.writeFile(tree + "/other/f", [])
        try FileSystem.mount(source: "tmpfs", target: tree + "/mnt", type: "tmpfs", options: "size=1m")
        try FileSystem.writeFile(tree + "/mnt/inside", Array("in".utf8))
        #expect {
            try FileSystem.removeTree(tree)
        } throws: { error in
            "\(error)".contains(tree + "/mnt is a mount point")
        }
        #expect(!FileSystem.exists(tree + "/other"))
        #expect(try FileSystem.readText(tree + "/mnt/inside") == "in")

        // Missing: nothing to do. A file: removed.
        try FileSystem.removeTree(dir + "/no-such")
        try FileSystem.writeFile(dir + "/plain", [])
        try FileSystem.removeTree(dir + "/plain")
        #expect(!FileSystem.exists(dir + "/plain"))
    }
}
