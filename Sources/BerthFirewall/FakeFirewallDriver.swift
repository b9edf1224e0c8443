import BerthCore
import Synchronization

/// A driver that keeps everything in memory, for the engine's unit tests: it records each applied
/// state and the exact script the real driver would send (compare it with a ruleset snapshot), and can
/// be told to fail.
public final class FakeFirewallDriver: FirewallDriver {
    private struct Record {
        var states: [FirewallState] = []
        var scripts: [String] = []
        var removedTables: [String] = []
        var tables: [String: FirewallState] = [:]
        var failure: BerthError?
        var hostPolicyDrop = false
    }

    private let record = Mutex(Record())

    /// A fake with no tables; `hostForwardPolicyIsDrop()` answers `hostPolicyDrop`.
    public init(hostPolicyDrop: Bool = false) {
        record.withLock { $0.hostPolicyDrop = hostPolicyDrop }
    }

    /// Every state passed to `apply`, oldest first (failed applies excluded).
    public var appliedStates: [FirewallState] { record.withLock { $0.states } }
    /// Every script applied (`RulesetBuilder.build` of each state, or a raw script), oldest first.
    public var appliedScripts: [String] { record.withLock { $0.scripts } }
    /// Tables passed to `remove`, oldest first.
    public var removedTables: [String] { record.withLock { $0.removedTables } }
    /// The state currently "in the kernel" for a table.
    public func currentState(table: String = FirewallState.defaultTable) -> FirewallState? {
        record.withLock { $0.tables[table] }
    }

    /// Changes what `hostForwardPolicyIsDrop()` answers (Docker started or stopped).
    public func setHostPolicyDrop(_ drop: Bool) { record.withLock { $0.hostPolicyDrop = drop } }

    /// Makes every following call throw `error` (nil heals it), to test the engine's rollback.
    public func failAll(with error: BerthError?) { record.withLock { $0.failure = error } }

    /// Validates like the real driver, then records the state and the script `RulesetBuilder.build` makes of it.
    public func apply(_ state: FirewallState) throws {
        try state.validate()
        try record.withLock { r in
            if let f = r.failure { throw f }
            r.states.append(state)
            r.scripts.append(RulesetBuilder.build(state))
            r.tables[state.table] = state
        }
    }

    /// Records the script as given.
    public func apply(script: String, table: String) throws {
        try record.withLock { r in
            if let f = r.failure { throw f }
            r.scripts.append(script)
        }
    }

    /// Records the removal and forgets the table's state.
    public func remove(table: String) throws {
        try record.withLock { r in
            if let f = r.failure { throw f }
            r.removedTables.append(table)
            r.tables[table] = nil
        }
    }

    /// The table part of the current state's script (`.notFound` when none).
    public func listRuleset(table: String) throws -> String {
        try record.withLock { r in
            if let f = r.failure { throw f }
            guard let state = r.tables[table] else {
                throw BerthError.notFound("nftables table ip \(table) does not exist")
            }
            return RulesetBuilder.tableScript(state)
        }
    }

    /// No traffic passes a fake: always empty.
    public func counters(table: String) throws -> [RuleCounter] {
        try record.withLock { r in
            if let f = r.failure { throw f }
            return []
        }
    }

    /// The `hostPolicyDrop` the fake was made with.
    public func hostForwardPolicyIsDrop() throws -> Bool {
        try record.withLock { r in
            if let f = r.failure { throw f }
            return r.hostPolicyDrop
        }
    }
}
