import Testing

@testable import BerthEngine

/// `wait`, `stop` and `logs -f` sleep on `RecordChanges` instead of polling: a change wakes them,
/// a change they could have missed does not leave them asleep, and they never sleep past their
/// timeout or their cancellation.
@Suite struct RecordChangesTests {
    @Test func aSignalWakesTheWaiterOfThatKey() async {
        let changes = RecordChanges()
        let generation = changes.generation
        let waiter = Task { await changes.wait(for: "a", since: generation, timeout: .seconds(3600)) }
        // Whether the waiter registered before this or registers after it, it wakes: the
        // signal resumes it, or the changed generation turns its wait away.
        changes.signal("a")
        await waiter.value
        #expect(changes.generation > generation)
    }

    @Test func aChangeBeforeTheWaitReturnsAtOnce() async {
        let changes = RecordChanges()
        let generation = changes.generation
        changes.signal("other")  // any change since the caller looked: it must look again
        await changes.wait(for: "a", since: generation, timeout: .seconds(3600))
    }

    @Test func theTimeoutEndsAWaitNobodySignals() async {
        let changes = RecordChanges()
        await changes.wait(for: "a", since: changes.generation, timeout: .milliseconds(10))
    }

    @Test func cancellingTheTaskEndsItsWait() async {
        let changes = RecordChanges()
        let generation = changes.generation
        let waiter = Task { await changes.wait(for: "a", since: generation, timeout: .seconds(3600)) }
        waiter.cancel()
        await waiter.value
    }
}
