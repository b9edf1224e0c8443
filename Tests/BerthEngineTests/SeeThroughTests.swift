import Testing

@testable import BerthEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The pure parts of `berth trace` and `berth doctor`: /proc socket addresses and berth's name patterns.
@Suite struct SeeThroughTests {
    @Test func procSocketAddressesDecode() {
        #expect(ProcSockets.decode("0100007F") == "127.0.0.1")
        #expect(ProcSockets.decode("00000000") == "0.0.0.0")
        #expect(ProcSockets.decode("020012AC") == "172.18.0.2")
        #expect(ProcSockets.decode("00000000000000000000000000000000") == "::")
        #expect(ProcSockets.decode("00000000000000000000000001000000") == "::1")
        #expect(ProcSockets.decode("0000000000000000FFFF00000100007F") == "127.0.0.1")
        #expect(ProcSockets.decode("B80D0120000000000000000001000000") == "2001:db8:0:0:0:0:0:1")
    }

    @Test func listeningSocketsOfThisProcess() throws {
        // This process's namespace has its sockets in /proc/self/net; parsing must not trip on any line.
        let entries = ProcSockets.listening(pid: Int(getpid()), proto: "tcp")
        #expect(entries.allSatisfy { $0.port > 0 })
    }

    @Test func berthNamePatterns() {
        #expect(BerthNames.isVeth("veth0abc123"))
        #expect(!BerthNames.isVeth("veth0abc12"))
        #expect(!BerthNames.isVeth("vethABC1234"))
        #expect(!BerthNames.isVeth("veth0abc12g"))
        #expect(BerthNames.isBridge("br-0123456789ab"))
        #expect(!BerthNames.isBridge("br-0123456789a"))
        #expect(!BerthNames.isBridge("br-foreign12345"))
    }
}
