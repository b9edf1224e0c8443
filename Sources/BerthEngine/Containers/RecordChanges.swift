import Synchronization

/// Wakes the tasks waiting for a container's record to change (it started, ended, was removed)
/// instead of having them poll: `wait`, `stop`, `logs -f` and `run`'s output stream return as soon
/// as the exit is recorded.
///
/// Race-free by a change counter: read `generation` before looking at the record, then
/// `wait(for:since:timeout:)` returns at once if anything changed in between. The counter is one
/// for all containers, so a waiter may wake for another container's change; waiters loop and look
/// again, which is cheap, and nothing is kept per container once its waiters are gone.
final class RecordChanges: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: (key: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        /// Waits whose timer or cancellation came before they were registered.
        var ended: Set<UInt64> = []
    }
    private let state = Mutex(State())

    init() {}

    /// The change counter; pass it to `wait` after reading a record.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// `key`'s record changed: wakes its waiters.
    func signal(_ key: String) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            let ids = s.waiters.filter { $0.value.key == key }.map(\.key)
            return ids.compactMap { s.waiters.removeValue(forKey: $0)?.continuation }
        }
        for c in woken { c.resume() }
    }

    /// Returns when `key` changes, when anything changed since `generation`, after `timeout`
    /// (the caller's safety net: it looks again either way), or when the task is cancelled.
    func wait(for key: String, since generation: UInt64, timeout: Duration) async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter &+= 1
            return s.nextWaiter
        }
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { s -> Bool in
                    guard s.generation == generation, !Task.isCancelled, s.ended.remove(id) == nil else { return false }
                    s.waiters[id] = (key, c)
                    return true
                }
                if !waiting { c.resume() }
            }
        } onCancel: {
            resume(id)
        }
        timer.cancel()
        await timer.value
        _ = state.withLock { $0.ended.remove(id) }
    }

    private func resume(_ id: UInt64) {
        let waiter = state.withLock { s in
            let w = s.waiters.removeValue(forKey: id)
            if w == nil { s.ended.insert(id) }
            return w
        }
        waiter?.continuation.resume()
    }
}
