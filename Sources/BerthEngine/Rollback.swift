/// An undo stack for multi-step kernel changes: register an undo after each step that succeeded;
/// on failure, `unwind()` runs them newest first and keeps going past failures; on success, `commit()`.
public final class Rollback {
    private var steps: [(what: String, undo: () throws -> Void)] = []
    private var committed = false

    public init() {}

    /// Registers how to undo the step that just succeeded.
    public func add(_ what: String, _ undo: @escaping () throws -> Void) { steps.append((what, undo)) }

    /// Keeps everything that was done.
    public func commit() { committed = true }

    /// Undoes every registered step in reverse order; returns the failures (empty when all undid cleanly).
    @discardableResult
    public func unwind() -> [String] {
        guard !committed else { return [] }
        var failures: [String] = []
        for step in steps.reversed() {
            do { try step.undo() } catch { failures.append("undo \(step.what): \(error)") }
        }
        steps.removeAll()
        committed = true
        return failures
    }

    deinit { unwind() }
}

/// Crash injection for tests of recovery: `BERTH_FAULT=<point>` makes berthd exit abruptly (as if
/// killed with SIGKILL) when it reaches that point, leaving whatever was half-made for the reconciler.
public enum FaultInjection {
    public static func point(_ name: String) {
        #if canImport(Glibc)
        if let v = getenv("BERTH_FAULT"), String(cString: v) == name {
            _exit(137)
        }
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
