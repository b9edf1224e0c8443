import BerthCore
import BerthImage
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

@testable import BerthRuntime

@Suite("UserResolver")
struct UserResolverTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        daemon:x:1:1:daemon:/usr/sbin:/bin/false
        # a comment
        nobody:x:65534:65534:nobody:/home:/bin/false
        www:x:33:33:www:/var/www:/bin/false
        broken line
        """
    static let group = """
        root:x:0:
        daemon:x:1:
        wheel:x:10:root,www
        audio:x:29:www
        www-data:x:33:
        staff:x:50:
        """

    /// A fake root filesystem in a temp dir with the files above; removed by the caller.
    static func makeRootfs() throws -> String {
        let dir = try TestSupport.makeTempDirectory(prefix: "berth-users")
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        try Data(passwd.utf8).write(to: URL(fileURLWithPath: dir + "/etc/passwd"))
        try Data(group.utf8).write(to: URL(fileURLWithPath: dir + "/etc/group"))
        return dir
    }

    @Test func resolvesFromARootfs() throws {
        let rootfs = try Self.makeRootfs()
        defer { TestSupport.removeTree(rootfs) }
        let users = UserResolver(rootfs: rootfs)
        #expect(try users.resolve("") == ResolvedUser(uid: 0, gid: 0, additionalGids: [10], home: "/root"))
        #expect(try users.resolve("www") == ResolvedUser(uid: 33, gid: 33, additionalGids: [10, 29], home: "/var/www"))
        #expect(try users.resolve("33").additionalGids == [10, 29])
        #expect(try users.resolve("www:staff") == ResolvedUser(uid: 33, gid: 50, home: "/var/www"))
        #expect(try users.resolve("nobody:7") == ResolvedUser(uid: 65534, gid: 7, home: "/home"))
        #expect(throws: BerthError.invalid("unable to find user bob: no matching entries in passwd file")) {
            try users.resolve("bob")
        }
        #expect(throws: BerthError.invalid("unable to find group nogroup: no matching entries in group file")) {
            try users.resolve("www:nogroup")
        }
        let spec = try SpecBuilder.build(
            ContainerRuntimeConfig(id: "u1", rootfs: rootfs, args: ["/bin/true"], user: "www"),
            openFilesHardLimit: 1024)
        #expect(spec.process.user == OCISpec.User(uid: 33, gid: 33, additionalGids: [10, 29]))
        #expect(spec.process.env.contains("HOME=/var/www"))
    }

    @Test func numericUsersNeedNoFiles() throws {
        let empty = UserResolver(passwd: "", group: "")
        #expect(try empty.resolve("1000") == ResolvedUser(uid: 1000, gid: 0))
        #expect(try empty.resolve("1000:1000") == ResolvedUser(uid: 1000, gid: 1000))
        #expect(try empty.resolve("") == ResolvedUser(uid: 0, gid: 0))
        #expect(throws: BerthError.self) { try empty.resolve("root") }
        let missing = UserResolver(rootfs: "/nonexistent-berth-rootfs")
        #expect(missing.passwd.isEmpty && missing.groups.isEmpty)
    }

    @Test func symlinkedPasswdStaysInsideTheRootfs() throws {
        let rootfs = try Self.makeRootfs()
        defer { TestSupport.removeTree(rootfs) }
        try FileManager.default.createDirectory(atPath: rootfs + "/data", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: rootfs + "/etc/passwd", toPath: rootfs + "/data/passwd")
        // Absolute target: must resolve to <rootfs>/data/passwd, not the host's /data/passwd.
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/etc/passwd", withDestinationPath: "/data/passwd")
        #expect(try UserResolver(rootfs: rootfs).resolve("www").uid == 33)
        try FileManager.default.removeItem(atPath: rootfs + "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/etc/passwd", withDestinationPath: "/etc/shadow")
        #expect(UserResolver(rootfs: rootfs).passwd.isEmpty)
    }

    /// `UserResolver(layers:)` reads the files as the mounted overlay shows them: checked against a real
    /// overlay mount of the same directories, with a later layer's file, a whiteout, an opaque
    /// directory and a symbolic link that points into a lower layer.
    @Test func readsTheLayersAsTheOverlayShowsThem() throws {
        let dir = try TestSupport.makeTempDirectory(prefix: "berth-layers")
        let target = dir + "/merged"
        defer {
            try? FileSystem.unmount(target)
            TestSupport.removeTree(dir)
        }
        let fm = FileManager.default
        func write(_ path: String, _ text: String) throws {
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        let (upper, l2, l1) = (dir + "/upper", dir + "/l2", dir + "/l1")
        for d in [upper, l2, l1, dir + "/work", target] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try write(l1 + "/etc/passwd", "www:x:33:33:www:/var/www:/bin/false\n")
        try write(l1 + "/etc/group", "wheel:x:10:www\n")
        try write(l1 + "/data/passwd", "www:x:55:55:www:/srv:/bin/false\n")
        let layers = [upper, l2, l1]
        func both() throws -> (layered: UserResolver, mounted: UserResolver) {
            try OverlayRootfs.mount(layers: [l1, l2], upper: upper, work: dir + "/work", target: target)
            defer { try? FileSystem.unmount(target) }
            return (UserResolver(layers: layers), UserResolver(rootfs: target))
        }

        var r = try both()
        #expect(r.layered == r.mounted && r.layered.passwd.first?.uid == 33 && r.layered.groups.count == 1)

        try write(l2 + "/etc/passwd", "www:x:44:44:www:/home/www:/bin/false\n")  // a later layer wins
        r = try both()
        #expect(r.layered == r.mounted && r.layered.passwd.first?.uid == 44)

        try fm.removeItem(atPath: l2 + "/etc/passwd")  // a link in a later layer, to a file in an earlier one
        try fm.createSymbolicLink(atPath: l2 + "/etc/passwd", withDestinationPath: "../data/passwd")
        r = try both()
        #expect(r.layered == r.mounted && r.layered.passwd.first?.uid == 55)

        try fm.createDirectory(atPath: upper + "/etc", withIntermediateDirectories: true)  // a whiteout
        try FileSystem.makeNode(upper + "/etc/passwd", mode: 0, character: true, major: 0, minor: 0)
        r = try both()
        #expect(r.layered == r.mounted && r.layered.passwd.isEmpty && r.layered.groups.count == 1)

        try fm.removeItem(atPath: upper + "/etc/passwd")  // an opaque directory hides the layers' /etc
        try FileSystem.setXattr(upper + "/etc", name: "trusted.overlay.opaque", value: "y")
        try write(upper + "/etc/group", "staff:x:50:\n")
        r = try both()
        #expect(r.layered == r.mounted && r.layered.passwd.isEmpty && r.layered.groups.map(\.name) == ["staff"])
    }
}
