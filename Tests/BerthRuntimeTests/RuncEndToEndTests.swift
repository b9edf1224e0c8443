import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

@testable import BerthRuntime

@Suite("Runc end to end")
struct RuncEndToEndTests {
    /// Builds a spec for a busybox rootfs, runs it with the real runc and checks what the container saw:
    /// its output, exit status, its own cgroup and the 50m memory limit there (N1, N4).
    @Test func runsABusyboxContainer() throws {
        try TestSupport.requireRoot()
        let runc = try #require(RuntimeProbe.findExecutable("runc"), "runc must be installed")
        let bundle = try TestSupport.makeTempDirectory(prefix: "berth-runc")
        let id = "berth-test-\(TestSupport.randomHex(10))"
        let cgroupsPath = "/berth-test/\(id)"
        defer {
            _ = try? Subprocess.run([runc, "delete", "-f", id])
            RuntimeProbe.removeCgroups(relativePath: cgroupsPath, includingParents: true)
            TestSupport.removeTree(bundle)
        }
        let rootfs = bundle + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try RuntimeProbe.copyExecutable(from: "/bin/busybox", to: rootfs + "/bin/busybox")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/sh", withDestinationPath: "busybox")

        let script = """
            cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; \
            echo "host=$HOSTNAME"; echo ok
            """
        let config = ContainerRuntimeConfig(
            id: id, rootfs: rootfs, args: ["/bin/busybox", "sh", "-c", script], hostname: "trial",
            network: .private, memoryBytes: 50 * 1024 * 1024, cgroupsPath: cgroupsPath)
        let spec = try SpecBuilder.build(config)
        try spec.write(toBundle: bundle)

        let result = try Subprocess.run(["timeout", "-k", "5", "60", runc, "run", "--bundle", bundle, id])
        #expect(result.status == 0, "runc failed: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "ok")
        #expect(lines.contains("52428800"))
        #expect(lines.contains("host=trial"))
        // A private cgroup namespace: the container sees its own cgroup as the root.
        #expect(lines.contains { $0.hasSuffix(":memory:/") })
        // `runc run` removes the container's cgroup when the container ends.
        #expect(!FileSystem.exists("/sys/fs/cgroup/memory" + cgroupsPath))
    }

    /// A running container's memory limit and cgroup members are found from its pid alone (N4, V4).
    @Test func inspectsARunningContainersCgroup() throws {
        try TestSupport.requireRoot()
        let runc = try #require(RuntimeProbe.findExecutable("runc"), "runc must be installed")
        let bundle = try TestSupport.makeTempDirectory(prefix: "berth-runc")
        let id = "berth-test-\(TestSupport.randomHex(10))"
        let cgroupsPath = "/berth-test/\(id)"
        defer {
            _ = try? Subprocess.run([runc, "delete", "-f", id])
            RuntimeProbe.removeCgroups(relativePath: cgroupsPath, includingParents: true)
            TestSupport.removeTree(bundle)
        }
        let rootfs = bundle + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        try RuntimeProbe.copyExecutable(from: "/bin/busybox", to: rootfs + "/busybox")
        let config = ContainerRuntimeConfig(
            id: id, rootfs: rootfs, args: ["/busybox", "sleep", "30"], network: .private,
            memoryBytes: 50 * 1024 * 1024, pidsLimit: 64, cgroupsPath: cgroupsPath)
        try SpecBuilder.build(config).write(toBundle: bundle)
        // `runc run --detach` returns once the container runs; its stdio goes to a log file.
        let command = "exec \"$0\" run --detach --bundle \"$1\" \"$2\" </dev/null >\"$1/log\" 2>&1"
        let started = try Subprocess.run(["/bin/sh", "-c", command, runc, bundle, id])
        let log = (try? FileSystem.readText(bundle + "/log")) ?? ""
        #expect(started.status == 0, "runc run --detach failed: \(log)")
        let state = try Subprocess.run([runc, "state", id])
        let object = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any]
        let pid = try #require((object?["pid"] as? Int).map { Int32($0) })
        #expect(try CgroupInspector.memoryLimit(ofPid: pid) == 52_428_800)
        let file = try CgroupInspector.memoryLimitFile(ofPid: pid)
        #expect(file == "/sys/fs/cgroup/memory\(cgroupsPath)/memory.limit_in_bytes")
        #expect(try CgroupInspector.pids(inCgroupOf: pid) == [pid])
        #expect(try ProcessCgroups.of(pid: pid).path(controller: "memory") == cgroupsPath)
    }
}
