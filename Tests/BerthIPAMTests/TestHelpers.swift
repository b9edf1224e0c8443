import BerthAddressing
import BerthCore
import Testing

@testable import BerthIPAM

/// Test shorthand: a prefix from text (the tests' literals are valid).
func net(_ text: String) -> IPv4Network { IPv4Network(text)! }

/// Test shorthand: an address from text.
func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

/// Runs `body` and returns the `BerthError` it throws, recording an issue when it throws nothing
/// or something else.
func berthError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> BerthError? {
    do {
        try body()
        Issue.record("expected a BerthError, got success", sourceLocation: sourceLocation)
    } catch let error as BerthError {
        return error
    } catch {
        Issue.record("expected a BerthError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
