import BerthCore
import BerthStore
import BerthSystem
import Foundation

/// A container's restart policy (`HostConfig.RestartPolicy`), and Docker's rule for applying it.
public struct RestartRule: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case no, always
        case unlessStopped = "unless-stopped"
        case onFailure = "on-failure"
    }

    public var kind: Kind
    /// on-failure's limit; 0 = no limit.
    public var maxRetries: Int

    /// Reads the spec's form: `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`.
    public init(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        kind = Kind(rawValue: parts.first ?? "no") ?? .no
        maxRetries = parts.count > 1 ? max(0, Int(parts[1]) ?? 0) : 0
    }

    /// The spec's form of an API policy; rejects what Docker rejects.
    static func specText(name: String?, maxRetries: Int?, autoRemove: Bool) throws -> String {
        let name = name.flatMap { $0.isEmpty ? nil : $0 } ?? "no"
        guard let kind = Kind(rawValue: name) else {
            throw BerthError.invalid("invalid restart policy \"\(name)\": use no, always, unless-stopped or on-failure")
        }
        let retries = maxRetries ?? 0
        guard retries >= 0 else {
            throw BerthError.invalid("invalid restart policy: the maximum retry count cannot be negative")
        }
        if retries > 0 && kind != .onFailure {
            throw BerthError.invalid("invalid restart policy: the maximum retry count can only be used with on-failure")
        }
        if autoRemove && kind != .no {
            throw BerthError.invalid(
                "can't create 'AutoRemove' container with restart policy \(name): use one or the other")
        }
        return kind == .onFailure && retries > 0 ? "on-failure:\(retries)" : kind.rawValue
    }

    /// Docker's decision after an exit (moby's restartmanager): always restarts; unless-stopped unless
    /// the user stopped it; on-failure on a non-zero code while fewer than N restarts were made. A
    /// container the user stopped is never restarted by its policy.
    public func shouldRestart(exitCode: Int, restartCount: Int, stoppedByUser: Bool) -> Bool {
        if stoppedByUser { return false }
        switch kind {
        case .no: return false
        case .always, .unlessStopped: return true
        case .onFailure: return exitCode != 0 && (maxRetries == 0 || restartCount < maxRetries)
        }
    }

    /// Docker's backoff: 100 ms, doubling with each restart in a row, at most a minute; back to
    /// 100 ms when the container had run for 10 seconds or more.
    public static func nextDelay(previous: UInt64, ranSeconds: Double) -> UInt64 {
        let base: UInt64 = 100_000_000
        let ceiling: UInt64 = 60_000_000_000
        if previous == 0 || ranSeconds >= 10 { return base }
        return min(previous * 2, ceiling)
    }
}

extension ContainerEngine {
    /// The marker of "stopped by the user" (`berth stop`/`kill`): kept on disk so unless-stopped
    /// still knows after berthd restarts; cleared by the next start the user asks for.
    func stoppedByUserMarker(_ id: String) -> String { files(id).directory + "/stopped-by-user" }

    func isStoppedByUser(_ id: String) -> Bool { FileSystem.exists(stoppedByUserMarker(id)) }

    func markStoppedByUser(_ id: String, _ stopped: Bool) {
        if stopped {
            try? FileSystem.writeFile(stoppedByUserMarker(id), [])
        } else {
            try? FileSystem.remove(stoppedByUserMarker(id))
        }
    }

    /// After an exit (`finishExit`): schedules a restart when the policy says so, after the backoff.
    func restartIfPolicySays(_ c: ContainerRecord, policy: String) {
        let rule = RestartRule(policy)
        guard
            rule.shouldRestart(exitCode: c.exitCode, restartCount: c.restartCount, stoppedByUser: isStoppedByUser(c.id))
        else {
            restartDelays[c.id] = nil
            return
        }
        let ran = Double(ContainerEngine.unixTime(c.finishedAt) - ContainerEngine.unixTime(c.startedAt))
        let delay = RestartRule.nextDelay(previous: restartDelays[c.id] ?? 0, ranSeconds: ran)
        restartDelays[c.id] = delay
        pendingRestarts.insert(c.id)
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: delay)
            await self?.performPolicyRestart(c.id)
        }
    }

    /// The restart itself, unless the container was stopped, removed or started meanwhile. A start
    /// that fails is recorded in the container's Error and not retried.
    func performPolicyRestart(_ id: String) async {
        pendingRestarts.remove(id)
        guard var c = try? container(id), c.state == .exited, !isStoppedByUser(id) else { return }
        c.restartCount += 1
        try? save(c)
        do {
            try await start(id)
        } catch {
            if var again = try? container(id) {
                again.error = "restart by policy failed: \(error)"
                try? save(again)
            }
        }
    }

    /// At berthd start: `always` containers that are not running start (even if the user stopped
    /// them, as Docker does), `unless-stopped` ones unless the user stopped them, and `on-failure`
    /// ones whose restart was still due when the last berthd ended.
    func startByPolicyAtBoot() async -> [String] {
        var report: [String] = []
        for c in (try? list()) ?? [] where c.state == .exited && !c.startedAt.isEmpty && !pendingRestarts.contains(c.id)
        {
            guard let spec = try? spec(of: c) else { continue }
            let rule = RestartRule(spec.restartPolicy)
            let stopped = isStoppedByUser(c.id)
            if rule.kind == .onFailure {
                guard rule.shouldRestart(exitCode: c.exitCode, restartCount: c.restartCount, stoppedByUser: stopped)
                else { continue }
                await performPolicyRestart(c.id)
                report.append("restarted \(c.name) (restart policy \(spec.restartPolicy))")
                continue
            }
            guard rule.kind == .always || (rule.kind == .unlessStopped && !stopped) else { continue }
            markStoppedByUser(c.id, false)
            do {
                try await start(c.id)
                report.append("started \(c.name) (restart policy \(rule.kind.rawValue))")
            } catch {
                report.append("could not start \(c.name) (restart policy \(rule.kind.rawValue)): \(error)")
            }
        }
        return report
    }
}
