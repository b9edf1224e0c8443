import BerthSystem
import BerthTestSupport
import Testing

@Suite("network namespaces (privileged)") struct NamespaceTests {
    @Test func createRunDelete() throws {
        let dir = try TestSupport.makeTempDirectory()
        defer { TestSupport.removeTree(dir) }
        let ns = try NetworkNamespace.create(at: dir + "/a")
        defer { try? ns.delete() }
        #expect(ns.exists)
        #expect(NetworkNamespace.list(directory: dir) == ["a"])
        // Its inode differs from the host's: it is a new namespace.
        #expect(try ns.inode() != NetworkNamespace.current.inode())
        // Inside, only lo exists, and it is down.
        let links = try ns.run { try Subprocess.run(["ip", "-o", "link", "show"]) }
        #expect(links.stdout.contains("1: lo:"))
        #expect(links.stdout.split(separator: "\n").count == 1)
        // Running inside never moves the calling thread: the host's links are still visible here.
        let host = try Subprocess.run(["ip", "-o", "link", "show"])
        #expect(host.stdout.split(separator: "\n").count > 1 || host.stdout != links.stdout)
        try ns.delete()
        #expect(!ns.exists)
        #expect(!FileSystem.exists(dir + "/a"))
        try ns.delete()  // already gone is success
    }

    @Test func asyncRunAndSysctlArePerNamespace() async throws {
        let one = try ScratchNamespace()
        defer { one.close() }
        let two = try ScratchNamespace()
        defer { two.close() }
        // Opposite values in two namespaces, whatever the host's own setting is: each keeps its own.
        try await one.namespace.run { try Sysctl.write("net.ipv4.ip_forward", "1") }
        try await two.namespace.run { try Sysctl.write("net.ipv4.ip_forward", "0") }
        let a = try await one.namespace.run { try Sysctl.read("net.ipv4.ip_forward") }
        let b = try await two.namespace.run { try Sysctl.read("net.ipv4.ip_forward") }
        #expect(a == "1")
        #expect(b == "0")
    }

    @Test func createFailsCleanlyWhenPathExists() throws {
        let dir = try TestSupport.makeTempDirectory()
        defer { TestSupport.removeTree(dir) }
        try FileSystem.writeFile(dir + "/taken", Array("x".utf8))
        #expect(throws: SystemCallError.self) { try NetworkNamespace.create(at: dir + "/taken") }
    }
}

@Suite struct SubprocessTests {
    @Test func capturesOutputAndStatus() throws {
        let r = try Subprocess.run(["/bin/sh", "-c", "cat; echo err >&2; exit 3"], input: Array("hello".utf8))
        #expect(r.stdout == "hello")
        #expect(r.stderr == "err\n")
        #expect(r.status == 3)
    }

    @Test func largeOutputDoesNotDeadlock() throws {
        let r = try Subprocess.run(["/bin/sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' a"])
        #expect(r.stdout.utf8.count == 1_000_000)
    }

    @Test func missingProgramIsAnError() {
        #expect(throws: SystemCallError.self) { try Subprocess.run(["/nonexistent/berth-no-such-program"]) }
    }
}

@Suite struct FileLockTests {
    @Test func exclusive() throws {
        let dir = try TestSupport.makeTempDirectory()
        defer { TestSupport.removeTree(dir) }
        let lock = try FileLock.acquire(dir + "/lock")
        // flock locks belong to the open file description, so a second open in this process conflicts too.
        #expect(throws: SystemCallError.self) { try FileLock.acquire(dir + "/lock", wait: false) }
        lock.unlock()
        let again = try FileLock.acquire(dir + "/lock", wait: false)
        again.unlock()
    }
}
