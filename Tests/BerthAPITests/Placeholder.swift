import Testing

@testable import BerthAPI

@Suite struct BerthAPIPlaceholder {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
