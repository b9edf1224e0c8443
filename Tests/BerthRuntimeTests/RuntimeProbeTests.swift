import BerthCore
import BerthSystem
import BerthTestSupport
import Foundation
import Testing

@testable import BerthRuntime

@Suite("RuntimeProbe")
struct RuntimeProbeTests {
    /// On this machine crun 1.8 refuses hybrid cgroups, so the probe must fall back to runc and say why.
    @Test func automaticChoiceFallsBackToRunc() throws {
        try TestSupport.requireRoot()
        let scratch = try TestSupport.makeTempDirectory(prefix: "berth-probe")
        defer { TestSupport.removeTree(scratch) }
        let choice = try RuntimeProbe.choose(preferred: nil, scratch: scratch).get()
        #expect(choice.name == "runc")
        #expect(choice.path.hasSuffix("/runc"))
        #expect(choice.reason.hasPrefix("crun refused a trial container (cgroups in hybrid mode not supported"))
        #expect(choice.reason.hasSuffix("; using runc"))
        // The trial bundle and the trial cgroups are gone.
        #expect(FileSystem.listDirectory(scratch).isEmpty)
        #expect(!FileSystem.listDirectory("/sys/fs/cgroup/memory").contains { $0.hasPrefix("berth-probe-") })
    }

    @Test func explicitChoices() throws {
        try TestSupport.requireRoot()
        let scratch = try TestSupport.makeTempDirectory(prefix: "berth-probe")
        defer { TestSupport.removeTree(scratch) }
        let runc = try RuntimeProbe.choose(preferred: "runc", scratch: scratch).get()
        #expect(runc.name == "runc" && runc.reason == "runc was asked for")
        #expect(throws: BerthError.self) { try RuntimeProbe.choose(preferred: "crun", scratch: scratch).get() }
        #expect(throws: BerthError.self) { try RuntimeProbe.choose(preferred: "kata", scratch: scratch).get() }
    }

    @Test func findsExecutablesOnPath() {
        #expect(RuntimeProbe.findExecutable("sh") != nil)
        #expect(RuntimeProbe.findExecutable("no-such-runtime-berth") == nil)
        #expect(RuntimeProbe.firstLine("\ncrun: boom\nmore") == "boom")
    }
}
