import BerthSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `stop`, `kill` and `rm -f` signal a container's first process themselves, through a pidfd and
/// only while it is its monitor's child; docker's signal names are understood.
@Suite struct SignalTests {
    @Test func namesAndNumbersLikeDockers() {
        #expect(Signals.number("SIGTERM") == SIGTERM)
        #expect(Signals.number("term") == SIGTERM)
        #expect(Signals.number("KILL") == SIGKILL)
        #expect(Signals.number("9") == 9)
        #expect(Signals.number("SIGUSR1") == SIGUSR1)
        #expect(Signals.number("SIGNOPE") == nil)
        #expect(Signals.number("0") == nil)
        #expect(Signals.number("65") == nil)
    }

    @Test func signalsOnlyAChildOfTheGivenParent() throws {
        let child = try Processes.spawn(["sleep", "30"])
        var reaped = false
        defer {
            if !reaped {
                kill(child, SIGKILL)
                var status: Int32 = 0
                waitpid(child, &status, 0)
            }
        }
        // Not the child of PID 1: refused, nothing sent.
        #expect(!Signals.sendToChild(child, of: 1, signal: SIGTERM))
        #expect(Processes.isAlive(child))
        // Ours: sent.
        #expect(Signals.sendToChild(child, of: getpid(), signal: SIGTERM))
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        reaped = true
        #expect(status & 0x7f == SIGTERM)  // ended by the signal
        // Gone (reaped): nothing to signal.
        #expect(!Signals.sendToChild(child, of: getpid(), signal: SIGTERM))
    }
}
