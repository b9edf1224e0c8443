import BerthCore
import BerthSystem
import Synchronization

/// The real driver: runs `nft` (nftables' command-line front end to libnftables), feeding scripts on
/// stdin (`nft -f -`) so each change is one netlink batch, applied in full or not at all.
///
/// With a `namespace`, nft runs on a dedicated thread inside it (`NetworkNamespace.run`), so tests and the
/// DNS redirect can program a container's or a scratch namespace's tables without touching the host's.
/// Calls block the calling thread while nft runs (milliseconds).
public struct NftablesDriver: FirewallDriver {
    /// Where nft runs; nil = berthd's own (calling thread's) namespace.
    public var namespace: NetworkNamespace?
    /// The nft program (looked up in PATH without a `/`).
    public var nft: String

    /// A driver for the host (nil) or for a given network namespace.
    public init(namespace: NetworkNamespace? = nil, nft: String = "nft") {
        self.namespace = namespace
        self.nft = nft
    }

    /// Validates `state`, then sends `RulesetBuilder.build` of it, together with the handles of this
    /// instance's stale host FORWARD rules, as one `nft -f -` batch.
    public func apply(_ state: FirewallState) throws {
        try state.validate()
        // The handles of our old host FORWARD rules go stale between listing and applying only if
        // something else edits that chain meanwhile; the batch then fails as a whole, and one try with a
        // fresh listing settles it.
        try apply(state, followingHostPolicy: false)
    }

    /// `apply`, with `hostForwardPolicyIsDrop` taken from the same listing of the host's FORWARD chain
    /// that finds the stale rules (one read of the host's firewall per change instead of two).
    public func applyFollowingHostPolicy(_ state: FirewallState) throws {
        try apply(state, followingHostPolicy: true)
    }

    func apply(_ state: FirewallState, followingHostPolicy: Bool) throws {
        let what = "berth's firewall ruleset (nftables table ip \(state.table))"
        var state = state
        let listing = try hostForwardListing()
        if followingHostPolicy { state.hostForwardPolicyIsDrop = listing.map(Self.forwardPolicyIsDrop) ?? false }
        try state.validate()
        let handles = listing.map { Self.ownedRuleHandles($0, table: state.table) } ?? []
        // Only the ports changed since this process last applied the table, and the host FORWARD rules
        // are as they should be: patch the maps' elements. Anything unexpected (the table or an element
        // changed behind berth's back) fails the patch, and the rebuild below puts everything right.
        let key = appliedKey(state.table)
        if let last = Self.applied.withLock({ $0[key] }),
            let delta = RulesetBuilder.portDelta(from: last, to: state),
            handles.count == (state.hostForwardPolicyIsDrop ? RulesetBuilder.hostForwardRules(state).count : 0)
        {
            if delta.isEmpty { return }
            if (try? runScript(delta, what: what)) != nil {
                Self.applied.withLock { $0[key] = state }
                return
            }
        }
        Self.applied.withLock { $0[key] = nil }
        do {
            try runScript(RulesetBuilder.build(state, removingHostRules: handles), what: what)
        } catch {
            guard !handles.isEmpty else { throw error }
            let fresh = try hostRuleHandles(table: state.table)
            try runScript(RulesetBuilder.build(state, removingHostRules: fresh), what: what)
        }
        Self.applied.withLock { $0[key] = state }
    }

    /// Sends `script` to `nft -f -` as one batch.
    public func apply(script: String, table: String) throws {
        Self.applied.withLock { [key = appliedKey(table)] in $0[key] = nil }
        try runScript(script, what: "the nftables table ip \(table)")
    }

    /// What this process last applied to each table (see `apply`), by namespace and table; cleared
    /// when unsure.
    static let applied = Mutex<[String: FirewallState]>([:])

    func appliedKey(_ table: String) -> String { (namespace?.path ?? "") + "\u{0}" + table }

    /// Deletes the table and this instance's host FORWARD rules in one batch; absent is success.
    public func remove(table: String) throws {
        Self.applied.withLock { [key = appliedKey(table)] in $0[key] = nil }
        guard FirewallState.isValidTableName(table) else {
            throw BerthError.invalid("invalid nftables table name \"\(table)\"")
        }
        let handles = try hostRuleHandles(table: table)
        try runScript(
            RulesetBuilder.removal(table: table, removingHostRules: handles),
            what: "removing the nftables table ip \(table)")
    }

    /// `nft list table ip <table>`.
    public func listRuleset(table: String) throws -> String {
        let r = try nft(["list", "table", "ip", table])
        guard r.succeeded else {
            if Self.meansAbsent(r) { throw BerthError.notFound("nftables table ip \(table) does not exist") }
            throw BerthError(
                .system, "could not list the nftables table ip \(table)", causeText: Self.trimmed(r.stderr))
        }
        return r.stdout
    }

    /// Reads `nft -j list table ip <table>` and returns the rules that carry a counter.
    public func counters(table: String) throws -> [RuleCounter] {
        let r = try nft(["-j", "list", "table", "ip", table])
        guard r.succeeded else {
            if Self.meansAbsent(r) { throw BerthError.notFound("nftables table ip \(table) does not exist") }
            throw BerthError(
                .system, "could not list the nftables table ip \(table)", causeText: Self.trimmed(r.stderr))
        }
        return try Self.listing(r.stdout, what: "table ip \(table)").rules.compactMap { rule in
            guard let packets = rule.packets, let bytes = rule.bytes else { return nil }
            return RuleCounter(
                chain: rule.chain, handle: rule.handle, comment: rule.comment, packets: packets, bytes: bytes)
        }
    }

    /// Reads `nft -j -a list chain ip filter FORWARD`; a missing table or chain means false.
    public func hostForwardPolicyIsDrop() throws -> Bool {
        guard let listing = try hostForwardListing() else { return false }
        return Self.forwardPolicyIsDrop(listing)
    }

    /// Handles of the rules in the host's `ip filter FORWARD` chain whose comment is tagged with `table`
    /// (`berth:net:…` for table `berth`): exactly the rules this berth instance added, nothing else.
    public func hostRuleHandles(table: String) throws -> [UInt64] {
        guard let listing = try hostForwardListing() else { return [] }
        return Self.ownedRuleHandles(listing, table: table)
    }

    static func forwardPolicyIsDrop(_ listing: NftListing) -> Bool {
        listing.chains.contains { $0.name == RulesetBuilder.hostForwardChain && $0.policy == "drop" }
    }

    static func ownedRuleHandles(_ listing: NftListing, table: String) -> [UInt64] {
        let owner = FirewallState(table: table)
        return listing.rules.filter { rule in
            rule.chain == RulesetBuilder.hostForwardChain && rule.comment.map(owner.owns(comment:)) == true
        }.map(\.handle)
    }

    // MARK: running nft

    /// `nft -j -a list chain ip filter FORWARD`, or nil when that table or chain does not exist.
    func hostForwardListing() throws -> NftListing? {
        let r = try nft([
            "-j", "-a", "list", "chain", "ip", RulesetBuilder.hostFilterTable, RulesetBuilder.hostForwardChain,
        ])
        guard r.succeeded else {
            if Self.meansAbsent(r) { return nil }
            throw BerthError(
                .system, "could not read the host's ip filter FORWARD chain", causeText: Self.trimmed(r.stderr))
        }
        return try Self.listing(r.stdout, what: "chain ip filter FORWARD")
    }

    func runScript(_ script: String, what: String) throws {
        let r = try nft(["-f", "-"], input: script)
        guard r.succeeded else {
            throw BerthError(
                .system, "nft refused to apply \(what); the previous rules stay in force",
                causeText: Self.trimmed(r.stderr))
        }
    }

    func nft(_ args: [String], input: String? = nil) throws -> SubprocessResult {
        // The library in-process when it is there (and no other program was asked for): `-j`/`-a`
        // are output flags, `-f -` means the commands are the input, anything else is one command.
        if nft == "nft", LibNftables.available {
            let flags = Set(args.prefix { $0.hasPrefix("-") })
            let command = flags.contains("-f") ? (input ?? "") : args.drop { $0.hasPrefix("-") }.joined(separator: " ")
            let run = { LibNftables.run(command, json: flags.contains("-j"), handles: flags.contains("-a")) }
            let result: SubprocessResult?
            do {
                result = try namespace.map { try $0.run(run) } ?? run()
            } catch {
                throw BerthError(.system, "could not enter the network namespace \(namespace?.path ?? "")", cause: error)
            }
            if let result { return result }
        }
        let argv = [nft] + args
        let bytes = input.map { Array($0.utf8) }
        // nft's messages come from strerror; the C locale keeps them in the English `meansAbsent` reads.
        let environment = ["LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        do {
            if let namespace {
                return try namespace.run { try Subprocess.run(argv, input: bytes, environment: environment) }
            }
            return try Subprocess.run(argv, input: bytes, environment: environment)
        } catch {
            throw BerthError(
                .system,
                "could not run \(nft)\(namespace.map { " in the network namespace \($0)" } ?? "") (is nftables installed?)",
                cause: error)
        }
    }

    /// nft reports a missing table or chain as ENOENT ("No such file or directory").
    static func meansAbsent(_ r: SubprocessResult) -> Bool {
        r.stderr.contains("No such file or directory")
    }

    static func listing(_ json: String, what: String) throws -> NftListing {
        do {
            return try NftListing(json: json)
        } catch {
            throw BerthError(.internalError, "could not read nft's JSON listing of \(what)", cause: error)
        }
    }

    static func trimmed(_ s: String) -> String {
        var s = Substring(s)
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
