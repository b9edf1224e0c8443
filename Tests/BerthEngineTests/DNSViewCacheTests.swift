import BerthAddressing
import BerthDNSWire
import Foundation
import Testing

@testable import BerthEngine

/// The engine's cache of resolver views: one build however many queries miss at once, nothing
/// stale kept across a change.
@Suite struct DNSViewCacheTests {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
        func next() -> Int {
            lock.withLock {
                count += 1
                return count
            }
        }
    }

    static func view(_ n: Int) -> DNSView {
        DNSView(
            askerNetworks: ["n"],
            records: [
                DNSEndpointRecord(
                    network: "n", names: [(try? DNSName("v\(n)")) ?? .root], address: IPv4Address(10, 0, 0, UInt8(n)))
            ])
    }

    @Test func missesShareOneBuild() async {
        let cache = DNSViewCache()
        let builds = Counter()
        let views = await withTaskGroup(of: DNSView.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await cache.view("sb") {
                        let n = builds.next()
                        try? await Task.sleep(for: .milliseconds(50))
                        return DNSViewCacheTests.view(n)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(builds.count == 1)
        #expect(views.allSatisfy { $0.records == DNSViewCacheTests.view(1).records })
        #expect(cache.view("sb")?.records == DNSViewCacheTests.view(1).records)
    }

    @Test func aBuildOverlappingAChangeIsNotKept() async {
        let cache = DNSViewCache()
        let builds = Counter()
        let slow = Task {
            await cache.view("sb") {
                let n = builds.next()
                try? await Task.sleep(for: .milliseconds(200))
                return DNSViewCacheTests.view(n)
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
        cache.invalidate()
        // Asked after the change: a build of its own, not the one under way.
        let fresh = await cache.view("sb") { DNSViewCacheTests.view(builds.next() + 10) }
        #expect(fresh.records == DNSViewCacheTests.view(12).records)
        _ = await slow.value
        #expect(cache.view("sb")?.records == DNSViewCacheTests.view(12).records)
        cache.invalidate()
        #expect(cache.view("sb") == nil)
    }
}
