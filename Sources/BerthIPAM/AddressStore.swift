import BerthAddressing
import Synchronization

/// Where the address allocator keeps its state, so the engine can persist it (BerthStore backs it
/// with two SQLite tables) and tests can keep it in memory.
///
/// Two facts per network, keyed by network id and address:
/// - allocations: which addresses are held now, and by whom (an endpoint id);
/// - the release log: for every address given back at least once, the sequence number of its
///   latest release. Sequence numbers only grow (one counter per store is fine), which is what
///   lets the allocator reuse released addresses last and the oldest release first.
///
/// Calls are synchronous and are made inside one transaction of the caller's choosing: the
/// allocator reads, decides, then writes, and relies on the caller (the engine's per-network actor
/// and its database transaction) to keep that sequence atomic.
public protocol AddressStore {
    /// The addresses held on `network` now, each with its holder (an endpoint id; may be empty for
    /// a reservation that belongs to no endpoint).
    func addressAllocations(network: String) throws -> [IPv4Address: String]

    /// The release log of `network`: address → sequence number of its latest release.
    func addressReleases(network: String) throws -> [IPv4Address: Int64]

    /// Records that `owner` holds `address` on `network`. The allocator has checked the address is
    /// free; a store with a uniqueness constraint may still throw if it is not.
    func insertAddressAllocation(_ address: IPv4Address, network: String, owner: String) throws

    /// Deletes the allocation of `address` on `network`, if there is one, and then records its release
    /// with a sequence number larger than every earlier one. Returns whether an allocation existed;
    /// when none did, nothing changes (release is idempotent).
    func releaseAddressAllocation(_ address: IPv4Address, network: String) throws -> Bool
}

/// An `AddressStore` in memory: the reference implementation of the protocol's contract, used by
/// tests and by engine tests with fakes. Safe to share between threads.
public final class InMemoryAddressStore: AddressStore, Sendable {
    private struct State {
        var allocations: [String: [IPv4Address: String]] = [:]
        var releases: [String: [IPv4Address: Int64]] = [:]
        var sequence: Int64 = 0
    }

    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    /// See `AddressStore.addressAllocations(network:)`.
    public func addressAllocations(network: String) -> [IPv4Address: String] {
        state.withLock { $0.allocations[network] ?? [:] }
    }

    /// See `AddressStore.addressReleases(network:)`.
    public func addressReleases(network: String) -> [IPv4Address: Int64] {
        state.withLock { $0.releases[network] ?? [:] }
    }

    /// See `AddressStore.insertAddressAllocation(_:network:owner:)`; throws like a primary key would.
    public func insertAddressAllocation(_ address: IPv4Address, network: String, owner: String) throws {
        try state.withLock { s throws(InMemoryAddressStoreError) in
            if s.allocations[network]?[address] != nil {
                throw InMemoryAddressStoreError.duplicate(network: network, address: address)
            }
            s.allocations[network, default: [:]][address] = owner
        }
    }

    /// See `AddressStore.releaseAddressAllocation(_:network:)`.
    public func releaseAddressAllocation(_ address: IPv4Address, network: String) -> Bool {
        state.withLock { s in
            guard s.allocations[network]?.removeValue(forKey: address) != nil else { return false }
            s.sequence += 1
            s.releases[network, default: [:]][address] = s.sequence
            return true
        }
    }

    /// Forgets everything about `network`, as deleting the network's rows (or a cascade) would.
    public func removeNetwork(_ network: String) {
        state.withLock { s in
            s.allocations[network] = nil
            s.releases[network] = nil
        }
    }
}

/// The unique-constraint failure of `InMemoryAddressStore`, mirroring a database's.
public enum InMemoryAddressStoreError: Error, Sendable, CustomStringConvertible {
    /// The address already has an allocation on that network.
    case duplicate(network: String, address: IPv4Address)

    /// Which row clashed.
    public var description: String {
        switch self {
        case .duplicate(let network, let address): "address \(address) is already allocated on network \(network)"
        }
    }
}
