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
            RuntimeProbe.removeCgroups(relativePath: cgroupsPath)
            TestSupport.removeTree(bundle)
        }
        let rootfs = bundle + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
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
}
