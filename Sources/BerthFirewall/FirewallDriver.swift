import BerthCore

/// Applies berth's firewall to the kernel. Every call is one atomic nftables transaction, so a failure
/// leaves the previous rules in force; errors are `BerthError`s (`.system` when nft refuses, with its
/// message as the cause, `.invalidArgument`/`.conflict` when the state itself is wrong).
public protocol FirewallDriver: Sendable {
    /// Replaces berth's table with the ruleset of `state` and, in the same transaction, brings the host's
    /// `ip filter FORWARD` accept rules tagged with the table in line with it (removing stale ones,
    /// adding them when `state.hostForwardPolicyIsDrop`).
    func apply(_ state: FirewallState) throws

    /// Applies a ready-made script (for example `DNSRedirect.script`) as one transaction; `table` names
    /// the table in error messages.
    func apply(script: String, table: String) throws

    /// Deletes `table` and every host FORWARD rule tagged with it. Already gone is success.
    func remove(table: String) throws

    /// `nft list table ip <table>`: the ruleset as the kernel holds it, for `berth debug` and tests.
    /// Throws `.notFound` when the table does not exist.
    func listRuleset(table: String) throws -> String

    /// The packet and byte counts of the counted rules in `table` (drops, DNAT and masquerade), so a
    /// user or test can see which rule a packet met.
    func counters(table: String) throws -> [RuleCounter]

    /// Whether the host's `ip filter FORWARD` chain (iptables-nft's, as Docker leaves it) has policy drop.
    /// No such table or chain means false.
    func hostForwardPolicyIsDrop() throws -> Bool

    /// `apply`, with `state.hostForwardPolicyIsDrop` read from the host as part of the same change.
    func applyFollowingHostPolicy(_ state: FirewallState) throws
}

extension FirewallDriver {
    public func applyFollowingHostPolicy(_ state: FirewallState) throws {
        var state = state
        state.hostForwardPolicyIsDrop = try hostForwardPolicyIsDrop()
        try apply(state)
    }
}

/// One counted rule: where it is, who owns it (its comment tag) and what it has seen.
public struct RuleCounter: Sendable, Equatable {
    /// The chain holding the rule.
    public var chain: String
    /// The kernel's handle for the rule (changes whenever the table is replaced).
    public var handle: UInt64
    /// The rule's comment tag, such as `berth:net:3f2a1b0c9d8e`.
    public var comment: String?
    /// Packets the rule has matched.
    public var packets: UInt64
    /// Bytes the rule has matched.
    public var bytes: UInt64

    /// Describes one counter reading.
    public init(chain: String, handle: UInt64, comment: String?, packets: UInt64, bytes: UInt64) {
        self.chain = chain
        self.handle = handle
        self.comment = comment
        self.packets = packets
        self.bytes = bytes
    }
}
