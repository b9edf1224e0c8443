import BerthCore
import BerthSystem
import Foundation
import Testing

@testable import BerthRuntime

@Suite("Cgroups")
struct CgroupTests {
    /// This machine's /proc/self/mountinfo (Debian 12 VM, systemd-less hybrid layout).
    static let hybridSample = """
        22 27 0:21 / /proc rw,relatime - proc proc rw
        23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
        24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334524k,nr_inodes=3083631,mode=755
        25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684096k
        27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    /// A typical systemd machine with the unified hierarchy only (Debian 12, Fedora, Ubuntu 22.04).
    static let v2Sample = """
        22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
        23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
        24 23 0:7 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:3 - securityfs securityfs rw
        25 23 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 \
        rw,nsdelegate,memory_recursiveprot
        26 23 0:23 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw
        27 23 0:24 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:6 - bpf bpf rw,mode=700
        """

    /// CentOS 7 style: v1 only, with co-mounted controllers and a mount point with an escaped space.
    static let v1Sample = """
        18 60 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
        24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755
        25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup \
        rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
        28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
        29 24 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
        30 24 0:26 /docker/abc /sys/fs/cgroup/pids\\040x rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids
        """

    @Test func parsesHybrid() {
        let mounts = CgroupMounts.parse(mountinfo: Self.hybridSample)
        #expect(mounts.layout == .hybrid)
        #expect(mounts.mountpoint(controller: "memory") == "/sys/fs/cgroup/memory")
        #expect(mounts.mountpoint(controller: "pids") == "/sys/fs/cgroup/pids")
        #expect(mounts.mountpoint(controller: "name=systemd") == "/sys/fs/cgroup/systemd")
        #expect(mounts.mountpoint(controller: "hugetlb") == nil)
        #expect(mounts.unified == "/sys/fs/cgroup/unified")
        #expect(mounts.mounts.count == 10)
    }

    @Test func parsesV2() {
        let mounts = CgroupMounts.parse(mountinfo: Self.v2Sample)
        #expect(mounts.layout == .v2)
        #expect(mounts.unified == "/sys/fs/cgroup")
        #expect(mounts.mountpoint(controller: "memory") == nil)
        #expect(mounts.mounts.count == 1)
    }

    @Test func parsesV1() {
        let mounts = CgroupMounts.parse(mountinfo: Self.v1Sample)
        #expect(mounts.layout == .v1)
        #expect(mounts.unified == nil)
        #expect(mounts.mountpoint(controller: "cpu") == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts.mountpoint(controller: "cpuacct") == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts.mount(controller: "name=systemd")?.controllers == ["name=systemd"])
        let pids = mounts.mount(controller: "pids")
        #expect(pids?.mountpoint == "/sys/fs/cgroup/pids x")
        #expect(pids?.root == "/docker/abc")
        // A sub-tree mount strips its root from the process's path.
        if let pids {
            #expect(CgroupInspector.join(pids, "/docker/abc/inner") == "/sys/fs/cgroup/pids x/inner")
            #expect(CgroupInspector.join(pids, "/docker/abc") == "/sys/fs/cgroup/pids x")
        }
    }

    @Test func parsesProcPidCgroup() {
        let v1 = ProcessCgroups.parse(
            """
            12:pids:/berth/abc
            11:cpu,cpuacct:/berth/abc
            4:memory:/berth/abc
            1:name=systemd:/user.slice
            0::/berth/abc
            """)
        #expect(v1.path(controller: "memory") == "/berth/abc")
        #expect(v1.path(controller: "cpuacct") == "/berth/abc")
        #expect(v1.path(controller: "name=systemd") == "/user.slice")
        #expect(v1.path(controller: "blkio") == nil)
        #expect(v1.unifiedPath == "/berth/abc")
        let v2 = ProcessCgroups.parse("0::/system.slice/berth.service\n")
        #expect(v2.unifiedPath == "/system.slice/berth.service")
        #expect(v2.paths.isEmpty)
    }

    @Test func liveMachineIsHybridAndReadable() throws {
        let mounts = try CgroupMounts.current()
        #expect(mounts.layout == .hybrid)
        let pid = ProcessInfo.processInfo.processIdentifier
        let file = try CgroupInspector.memoryLimitFile(ofPid: pid)
        #expect(file.hasPrefix("/sys/fs/cgroup/memory") && file.hasSuffix("/memory.limit_in_bytes"))
        _ = try CgroupInspector.memoryLimit(ofPid: pid)
        #expect(try CgroupInspector.pids(inCgroupOf: pid).contains(pid))
        #expect(throws: BerthError.self) { try ProcessCgroups.of(pid: Int32.max) }
    }
}
