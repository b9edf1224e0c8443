import BerthCore
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
}
