import BerthCore
import Foundation
import Testing

@testable import BerthRuntime

@Suite("SpecBuilder")
struct SpecBuilderTests {
    static let noUsers = UserResolver(passwd: "root:x:0:0:root:/root:/bin/sh\n", group: "")

    static func config(_ edit: (inout ContainerRuntimeConfig) -> Void = { _ in }) -> ContainerRuntimeConfig {
        var c = ContainerRuntimeConfig(
            id: "abc123", rootfs: "/var/lib/berth/containers/abc123/rootfs", args: ["/bin/sh"], hostname: "abc123",
            network: .path("/run/berth/netns/abc123"))
        edit(&c)
        return c
    }

    static func build(_ edit: (inout ContainerRuntimeConfig) -> Void = { _ in }) throws -> OCISpec {
        try SpecBuilder.build(config(edit), rootfsUsers: noUsers, openFilesHardLimit: 20000)
    }

    /// The spec as a JSON object, to check keys the way a runtime sees them.
    static func json(_ spec: OCISpec) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: spec.jsonData()) as? [String: Any])
    }

    @Test func defaultSpecHasDockerDefaults() throws {
        let spec = try Self.build()
        #expect(spec.ociVersion == "1.0.2")
        #expect(spec.process.capabilities.bounding == Capabilities.all.filter { Capabilities.defaults.contains($0) })
        #expect(Set(spec.process.capabilities.effective) == Set(Capabilities.defaults))
        #expect(spec.process.capabilities.permitted == spec.process.capabilities.bounding)
        #expect(spec.process.capabilities.bounding.count == 14)
        #expect(!spec.process.capabilities.bounding.contains("CAP_NET_ADMIN"))
        #expect(spec.process.rlimits == [OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 20000, soft: 20000)])
        #expect(spec.linux.maskedPaths.contains("/proc/kcore"))
        #expect(spec.linux.readonlyPaths.contains("/proc/sys"))
        #expect(spec.linux.cgroupsPath == "/berth/abc123")
        #expect(spec.hostname == "abc123")
        let mounts = Dictionary(uniqueKeysWithValues: spec.mounts.map { ($0.destination, $0) })
        #expect(mounts["/proc"]?.type == "proc")
        #expect(mounts["/dev"]?.options == ["nosuid", "strictatime", "mode=755", "size=65536k"])
        #expect(
            mounts["/dev/pts"]?.options == ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        #expect(mounts["/sys"]?.options.contains("ro") == true)
        #expect(mounts["/sys/fs/cgroup"]?.options.contains("ro") == true)
        #expect(mounts["/dev/mqueue"]?.type == "mqueue")
        #expect(mounts["/dev/shm"]?.options.contains("size=65536k") == true)
        #expect(spec.linux.resources.devices.first == OCISpec.DeviceRule(allow: false, access: "rwm"))
    }

    @Test func rlimitNeverExceedsHardLimit() throws {
        let low = try SpecBuilder.build(Self.config(), rootfsUsers: Self.noUsers, openFilesHardLimit: 4096)
        #expect(low.process.rlimits.first?.hard == 4096)
        let high = try SpecBuilder.build(Self.config(), rootfsUsers: Self.noUsers, openFilesHardLimit: .max)
        #expect(high.process.rlimits.first?.soft == 1_048_576)
        // Without an explicit limit, berth's own hard limit is read.
        let live = try SpecBuilder.build(Self.config(), rootfsUsers: Self.noUsers)
        #expect((live.process.rlimits.first?.hard ?? 0) <= 1_048_576)
        #expect(live.process.rlimits.count == 1)
    }

    @Test func optionalKeysAreOmittedNotNull() throws {
        let spec = try Self.build()
        let data = try spec.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("null"))
        let root = try Self.json(spec)
        #expect(root["domainname"] == nil)
        let process = try #require(root["process"] as? [String: Any])
        #expect(process["oomScoreAdj"] == nil)
        #expect(process["noNewPrivileges"] as? Bool == false)
        let caps = try #require(process["capabilities"] as? [String: Any])
        #expect(caps["inheritable"] == nil && caps["ambient"] == nil && caps["bounding"] != nil)
        let linux = try #require(root["linux"] as? [String: Any])
        #expect(linux["sysctl"] == nil)
        let resources = try #require(linux["resources"] as? [String: Any])
        #expect(resources["memory"] == nil && resources["cpu"] == nil && resources["pids"] == nil)
        #expect(resources["devices"] != nil)
        let user = try #require(process["user"] as? [String: Any])
        #expect(user["uid"] as? Int == 0 && user["gid"] as? Int == 0)
        #expect(linux["cgroupsPath"] as? String == "/berth/abc123")
        // Round trip.
        #expect(try JSONDecoder().decode(OCISpec.self, from: data) == spec)
    }

    @Test func resourceLimits() throws {
        let spec = try Self.build {
            $0.memoryBytes = 50 * 1024 * 1024
            $0.nanoCPUs = 1_500_000_000
            $0.pidsLimit = 100
        }
        #expect(spec.linux.resources.memory == OCISpec.Memory(limit: 52_428_800))
        #expect(spec.linux.resources.cpu == OCISpec.CPU(quota: 150_000, period: 100_000))
        #expect(spec.linux.resources.pids == OCISpec.Pids(limit: 100))
        let resources = try #require((try Self.json(spec)["linux"] as? [String: Any])?["resources"] as? [String: Any])
        #expect((resources["memory"] as? [String: Any])?["limit"] as? Int == 52_428_800)
        #expect((resources["memory"] as? [String: Any])?["swap"] == nil)
        #expect((resources["cpu"] as? [String: Any])?["quota"] as? Int == 150_000)
        #expect((resources["cpu"] as? [String: Any])?["shares"] == nil)
        #expect(throws: BerthError.self) { try Self.build { $0.memoryBytes = 1024 } }
    }

    @Test func capAddAndDrop() throws {
        let added = try Self.build {
            $0.capAdd = ["net_admin", "CAP_SYS_TIME"]
            $0.capDrop = ["Chown", "CAP_MKNOD"]
        }
        let caps = added.process.capabilities.effective
        #expect(caps.contains("CAP_NET_ADMIN") && caps.contains("CAP_SYS_TIME"))
        #expect(!caps.contains("CAP_CHOWN") && !caps.contains("CAP_MKNOD"))
        #expect(caps.count == 14)

        let dropAll = try Self.build {
            $0.capDrop = ["ALL"]
            $0.capAdd = ["NET_BIND_SERVICE"]
        }
        #expect(dropAll.process.capabilities.bounding == ["CAP_NET_BIND_SERVICE"])

        let addAll = try Self.build {
            $0.capAdd = ["all"]
            $0.capDrop = ["SYS_ADMIN"]
        }
        #expect(addAll.process.capabilities.bounding.count == Capabilities.all.count - 1)
        #expect(!addAll.process.capabilities.bounding.contains("CAP_SYS_ADMIN"))
        // Addition wins over a drop of the same capability, as in Docker.
        let both = try Self.build {
            $0.capAdd = ["NET_ADMIN"]
            $0.capDrop = ["NET_ADMIN"]
        }
        #expect(both.process.capabilities.bounding.contains("CAP_NET_ADMIN"))
    }

    @Test func unknownCapabilityIsRejected() throws {
        #expect(throws: BerthError.invalid("unknown capability \"FOO\": see capabilities(7)")) {
            try Self.build { $0.capAdd = ["FOO"] }
        }
        #expect(throws: BerthError.invalid("unknown capability \"CAP_BAR\": see capabilities(7)")) {
            try Self.build { $0.capDrop = ["CAP_BAR"] }
        }
    }

    @Test func privilegedGetsEverything() throws {
        let spec = try Self.build {
            $0.privileged = true
            $0.capDrop = ["NET_RAW"]
        }
        #expect(spec.process.capabilities.bounding == Capabilities.all)
        #expect(spec.linux.maskedPaths.isEmpty && spec.linux.readonlyPaths.isEmpty)
        #expect(spec.linux.resources.devices == [OCISpec.DeviceRule(allow: true, access: "rwm")])
        let sys = try #require(spec.mounts.first { $0.destination == "/sys" })
        #expect(sys.options.contains("rw") && !sys.options.contains("ro"))
        let linux = try #require(try Self.json(spec)["linux"] as? [String: Any])
        #expect((linux["maskedPaths"] as? [Any])?.isEmpty == true)
    }

    @Test func namespacesPerMode() throws {
        let normal = try Self.build()
        #expect(
            normal.linux.namespaces == [
                .init(type: "mount"), .init(type: "network", path: "/run/berth/netns/abc123"), .init(type: "pid"),
                .init(type: "ipc"), .init(type: "uts"), .init(type: "cgroup"),
            ])
        #expect(!normal.linux.namespaces.contains { $0.type == "user" || $0.type == "time" })

        let host = try Self.build {
            $0.network = .host
            $0.pid = .host
            $0.ipc = .host
            $0.uts = .host
        }
        #expect(host.linux.namespaces.map(\.type) == ["mount", "cgroup"])
        #expect(host.hostname == nil)
        #expect(host.mounts.first { $0.destination == "/dev/shm" }?.type == "bind")

        let joined = try Self.build {
            $0.network = .private
            $0.pid = .path("/proc/42/ns/pid")
            $0.ipc = .path("/proc/42/ns/ipc")
        }
        #expect(joined.linux.namespaces.contains(.init(type: "network")))
        #expect(joined.linux.namespaces.contains(.init(type: "pid", path: "/proc/42/ns/pid")))
        #expect(joined.linux.namespaces.contains(.init(type: "ipc", path: "/proc/42/ns/ipc")))
        let linux = try #require(try Self.json(joined)["linux"] as? [String: Any])
        let namespaces = try #require(linux["namespaces"] as? [[String: Any]])
        #expect(namespaces.first { $0["type"] as? String == "network" }?.keys.contains("path") == false)
    }

    @Test func environmentDefaults() throws {
        let spec = try Self.build {
            $0.env = ["FOO=bar"]
            $0.terminal = true
        }
        #expect(spec.process.env.contains(SpecBuilder.defaultPath))
        #expect(spec.process.env.contains("HOSTNAME=abc123"))
        #expect(spec.process.env.contains("TERM=xterm"))
        #expect(spec.process.env.contains("FOO=bar"))
        #expect(spec.process.env.contains("HOME=/root"))
        #expect(spec.process.terminal)
        let own = try Self.build { $0.env = ["PATH=/bin", "HOSTNAME=other"] }
        #expect(own.process.env.filter { $0.hasPrefix("PATH=") } == ["PATH=/bin"])
        #expect(own.process.env.filter { $0.hasPrefix("HOSTNAME=") } == ["HOSTNAME=other"])
        #expect(!own.process.env.contains("TERM=xterm"))
    }

    @Test func bindsAndSysctls() throws {
        let spec = try Self.build {
            $0.binds = [BindMount(source: "/var/lib/berth/c/hosts", destination: "/etc/hosts", readOnly: true)]
            $0.sysctls = ["net.ipv4.ip_unprivileged_port_start": "0"]
        }
        let hosts = try #require(spec.mounts.last)
        #expect(hosts.destination == "/etc/hosts" && hosts.type == "bind" && hosts.options.contains("ro"))
        #expect(spec.linux.sysctl == ["net.ipv4.ip_unprivileged_port_start": "0"])
        #expect(throws: BerthError.self) {
            try Self.build {
                $0.network = .host
                $0.sysctls = ["net.ipv4.ip_forward": "1"]
            }
        }
        #expect(throws: BerthError.self) { try Self.build { $0.sysctls = ["vm.swappiness": "1"] } }
    }
}
