import BerthCore
import BerthSystem

/// Docker's `-u` resolved against the container's own /etc/passwd and /etc/group.
public enum UserResolver {
    public struct IDs: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]
        public var home: String
    }

    public static func resolve(_ spec: String, rootfs: String) throws -> IDs {
        let passwd = (try? FileSystem.readText(rootfs + "/etc/passwd")) ?? ""
        let group = (try? FileSystem.readText(rootfs + "/etc/group")) ?? ""
        return try resolve(spec, passwd: passwd, group: group)
    }

    /// Pure form, for tests: `passwd`/`group` are the files' text.
    public static func resolve(_ spec: String, passwd: String, group: String) throws -> IDs {
        let users = passwd.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 7 }
        let groups = group.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 4 }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let userPart = parts.first ?? ""
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var home = "/"
        var name: String?
        if userPart.isEmpty {
            if let root = users.first(where: { $0[2] == "0" }) {
                home = root[5]
                name = root[0]
            } else {
                home = "/root"
            }
        } else if let n = UInt32(userPart) {
            uid = n
            if let u = users.first(where: { $0[2] == userPart }) {
                gid = UInt32(u[3]) ?? 0
                home = u[5]
                name = u[0]
            }
        } else {
            guard let u = users.first(where: { $0[0] == userPart }), let id = UInt32(u[2]) else {
                throw BerthError.invalid("unable to find user \(userPart): no matching entries in passwd file")
            }
            uid = id
            gid = UInt32(u[3]) ?? 0
            home = u[5]
            name = u[0]
        }
        if parts.count > 1 {
            let g = parts[1]
            if let n = UInt32(g) {
                gid = n
            } else {
                guard let entry = groups.first(where: { $0[0] == g }), let id = UInt32(entry[2]) else {
                    throw BerthError.invalid("unable to find group \(g): no matching entries in group file")
                }
                gid = id
            }
        }
        var extra: [UInt32] = []
        if let name {
            for g in groups where g[3].split(separator: ",").contains(Substring(name)) {
                if let id = UInt32(g[2]), id != gid { extra.append(id) }
            }
        }
        return IDs(uid: uid, gid: gid, additionalGids: extra, home: home.isEmpty ? "/" : home)
    }
}
