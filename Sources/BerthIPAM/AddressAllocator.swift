import BerthAddressing
import BerthCore

/// Hands out and takes back the IPv4 addresses of one network, keeping its state in an
/// `AddressStore`.
///
/// Dynamic allocation never returns the subnet's network or broadcast address or the gateway, takes
/// addresses from the `ip-range` when there is one, and prefers addresses never handed out before, in
/// ascending order. Released addresses come back only once every never-used one is gone, the oldest
/// release first: a container that restarts quickly does not get the address its predecessor had, so
/// stale ARP entries and DNS answers for the old container do not reach the new one.
public struct AddressAllocator: Sendable {
    /// The network's id: the key of its rows in the store.
    public let networkID: String
    /// The network's name, used in error messages.
    public let networkName: String
    /// The network's subnet, gateway and range.
    public let addressing: NetworkAddressing

    /// An allocator for one network.
    public init(networkID: String, networkName: String, addressing: NetworkAddressing) {
        self.networkID = networkID
        self.networkName = networkName
        self.addressing = addressing
    }

    /// Allocates the next dynamic address to `owner` (an endpoint id) and records it.
    ///
    /// Cost: O(n) in the number of addresses the network has ever used (allocated now or in the
    /// release log), independent of the subnet's size — a /16 with thousands of containers does not
    /// scan 65 536 addresses.
    public func allocate(owner: String, store: some AddressStore) throws(BerthError) -> IPv4Address {
        let held = try storeCall("read the address allocations") { try store.addressAllocations(network: networkID) }
        let released = try storeCall("read the address release log") { try store.addressReleases(network: networkID) }
        let range = addressing.dynamicRange
        let chosen: IPv4Address
        if let fresh = lowestNeverUsed(in: range, held: held, released: released) {
            chosen = fresh
        } else if let reused = released.filter({
            range.contains($0.key) && held[$0.key] == nil && !addressing.isReserved($0.key)
        })
        .min(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key {
            chosen = reused
        } else {
            let scope = addressing.ipRange.map { "ip-range \($0) of " } ?? ""
            throw BerthError(
                .exhausted,
                "no free address left in \(scope)network \"\(networkName)\" (\(addressing.subnet)): all "
                    + "\(addressing.dynamicCapacity) addresses are in use; disconnect containers you no longer "
                    + "need, or create a network with a larger subnet")
        }
        try storeCall("record the allocation of \(chosen)") {
            try store.insertAddressAllocation(chosen, network: networkID, owner: owner)
        }
        return chosen
    }

    /// Allocates the address a user asked for (`--ip`) to `owner`. It may lie anywhere in the subnet
    /// (outside the `ip-range` too, as in Docker) except the network, broadcast and gateway addresses.
    /// Asking again for an address `owner` already holds succeeds without change, so a retried request
    /// is harmless.
    public func allocate(specific address: IPv4Address, owner: String, store: some AddressStore) throws(BerthError) {
        let subnet = addressing.subnet
        guard subnet.contains(address) else {
            throw .invalid("address \(address) is outside subnet \(subnet) of network \"\(networkName)\"")
        }
        if address == addressing.gateway {
            throw .invalid("address \(address) is the gateway of network \"\(networkName)\"; choose another address")
        }
        if address == subnet.network {
            throw .invalid(
                "address \(address) is the network address of subnet \(subnet) and cannot be given to a container")
        }
        if address == subnet.broadcast {
            throw .invalid(
                "address \(address) is the broadcast address of subnet \(subnet) and cannot be given to a container")
        }
        let held = try storeCall("read the address allocations") { try store.addressAllocations(network: networkID) }
        if let holder = held[address] {
            if holder == owner { return }
            throw .conflict(
                "address \(address) is already in use by another endpoint on network \"\(networkName)\"; "
                    + "choose another address or disconnect the container that has it")
        }
        try storeCall("record the allocation of \(address)") {
            try store.insertAddressAllocation(address, network: networkID, owner: owner)
        }
    }

    /// Gives `address` back, logging the release so it is reused last. Releasing an address that is not
    /// allocated (twice, or never) does nothing: deletes are idempotent. Returns whether it was held.
    @discardableResult
    public func release(_ address: IPv4Address, store: some AddressStore) throws(BerthError) -> Bool {
        try storeCall("release \(address)") { try store.releaseAddressAllocation(address, network: networkID) }
    }

    /// Gives back every address `owner` holds on this network (for cleaning up after a crash, when the
    /// endpoint's own record may not say which address it got). Returns the addresses released.
    @discardableResult
    public func releaseAll(owner: String, store: some AddressStore) throws(BerthError) -> [IPv4Address] {
        let held = try storeCall("read the address allocations") { try store.addressAllocations(network: networkID) }
        let mine = held.filter { $0.value == owner }.keys.sorted()
        for address in mine {
            try release(address, store: store)
        }
        return mine
    }

    /// The lowest address of `range` that is not reserved, not held and not in the release log.
    ///
    /// Every probe that fails lands on a distinct used or reserved address, so the walk is bounded by
    /// the number of addresses ever used plus three, whatever the size of the range.
    func lowestNeverUsed(in range: IPv4Network, held: [IPv4Address: String], released: [IPv4Address: Int64])
        -> IPv4Address?
    {
        var candidate = UInt64(range.network.value)
        let end = UInt64(range.broadcast.value)
        while candidate <= end {
            let address = IPv4Address(UInt32(candidate))
            if !addressing.isReserved(address) && held[address] == nil && released[address] == nil {
                return address
            }
            candidate += 1
        }
        return nil
    }

    /// Runs a store call, turning a store failure into one sentence naming the network.
    private func storeCall<T>(_ what: String, _ body: () throws -> T) throws(BerthError) -> T {
        do {
            return try body()
        } catch let error as BerthError {
            throw error
        } catch {
            throw BerthError(.system, "cannot \(what) on network \"\(networkName)\"", cause: error)
        }
    }
}
