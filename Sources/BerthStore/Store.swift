import BerthCore
import GRDB

/// berth's state: one SQLite database (WAL) under `$BERTH_ROOT`, changed only inside transactions.
///
/// The engine follows "persist intent, then act, then mark done" (DESIGN.md): it writes a record in
/// state `creating`, makes the kernel objects, then flips the record to `ready` — so after a crash the
/// reconciler finds every half-made object by its record.
public final class Store: Sendable {
    let db: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        // WAL with synchronous=NORMAL: a commit is in the OS's page cache when it returns, so it
        // survives a crash or kill -9 of berthd (the failure the records are for), without an fsync
        // per commit (2-3 ms each on these disks, ~10 per container start). What a power loss can take
        // back is the last commits, and with them only objects a reboot removes anyway (namespaces,
        // veths, rules, mounts).
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            db = try DatabasePool(path: path, configuration: config)
            try Store.migrator.migrate(db)
        } catch {
            throw BerthError(.system, "cannot open berth's database \(path)", cause: error)
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "network") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("driver", .text).notNull()
                t.column("bridge", .text)
                t.column("subnet", .text)
                t.column("gateway", .text)
                t.column("ipRange", .text)
                t.column("mtu", .integer).notNull()
                t.column("internal", .boolean).notNull()
                t.column("attachable", .boolean).notNull()
                t.column("predefined", .boolean).notNull()
                t.column("options", .jsonText).notNull()
                t.column("labels", .jsonText).notNull()
                t.column("created", .text).notNull()
                t.column("state", .text).notNull()
            }
            try db.create(table: "endpoint") { t in
                t.primaryKey("id", .text)
                t.column("networkId", .text).notNull().references("network", onDelete: .restrict)
                t.column("ownerId", .text).notNull()
                t.column("ownerName", .text).notNull()
                t.column("sandbox", .text).notNull()
                t.column("hostInterface", .text).notNull().unique()
                t.column("sandboxInterface", .text).notNull()
                t.column("ipv4", .text)
                t.column("prefixLength", .integer).notNull()
                t.column("mac", .text).notNull()
                t.column("aliases", .jsonText).notNull()
                t.column("state", .text).notNull()
            }
            try db.create(table: "portMapping") { t in
                t.column("endpointId", .text).notNull().references("endpoint", onDelete: .cascade)
                t.column("networkId", .text).notNull()
                t.column("proto", .text).notNull()
                t.column("hostIP", .text).notNull()
                t.column("hostPort", .integer).notNull()
                t.column("containerIP", .text).notNull()
                t.column("containerPort", .integer).notNull()
                t.uniqueKey(["proto", "hostIP", "hostPort"])
            }
            try db.create(table: "addressAllocation") { t in
                t.column("networkId", .text).notNull().references("network", onDelete: .cascade)
                t.column("address", .text).notNull()
                t.column("owner", .text).notNull()
                t.primaryKey(["networkId", "address"])
            }
            try db.create(table: "addressRelease") { t in
                t.column("networkId", .text).notNull().references("network", onDelete: .cascade)
                t.column("address", .text).notNull()
                t.column("sequence", .integer).notNull()
                t.primaryKey(["networkId", "address"])
            }
            try db.create(table: "counter") { t in
                t.primaryKey("name", .text)
                t.column("value", .integer).notNull()
            }
        }
        m.registerMigration("v2-containers") { db in
            try db.create(table: "container") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("image", .text).notNull()
                t.column("imageId", .text).notNull()
                t.column("created", .text).notNull()
                t.column("spec", .text).notNull()
                t.column("state", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("monitorPid", .integer).notNull()
                t.column("exitCode", .integer).notNull()
                t.column("startedAt", .text).notNull()
                t.column("finishedAt", .text).notNull()
                t.column("error", .text).notNull()
                t.column("oomKilled", .boolean).notNull()
                t.column("sandbox", .text).notNull()
                t.column("namedNetns", .text).notNull()
                t.column("rootfsMounted", .boolean).notNull()
                t.column("runtime", .text).notNull()
                t.column("restartCount", .integer).notNull()
            }
        }
        // Connect, exit and the resolvers' views read endpoints by network, owner and sandbox.
        m.registerMigration("v3-endpoint-indexes") { db in
            try db.create(index: "endpoint_network", on: "endpoint", columns: ["networkId"])
            try db.create(index: "endpoint_owner", on: "endpoint", columns: ["ownerId"])
            try db.create(index: "endpoint_sandbox", on: "endpoint", columns: ["sandbox"])
        }
        m.registerMigration("v3-port-ranges") { db in
            // A row may stand for a run of consecutive ports (see PortMappingRecord.count).
            try db.alter(table: "portMapping") { t in t.add(column: "count", .integer).notNull().defaults(to: 1) }
        }
        return m
    }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @Sendable (Transaction) throws -> T) throws -> T {
        do {
            return try db.write { db in try body(Transaction(db: db)) }
        } catch let e as BerthError {
            throw e
        } catch {
            throw BerthError(.system, "berth's database refused a change", cause: error)
        }
    }

    /// Runs `body` against a consistent snapshot.
    public func read<T: Sendable>(_ body: @Sendable (Transaction) throws -> T) throws -> T {
        do {
            return try db.read { db in try body(Transaction(db: db)) }
        } catch let e as BerthError {
            throw e
        } catch {
            throw BerthError(.system, "cannot read berth's database", cause: error)
        }
    }
}

/// Typed access to the tables inside one transaction. Only valid inside `Store.read`/`write`.
public struct Transaction {
    let db: Database

    // MARK: networks

    public func networks() throws -> [NetworkRecord] { try NetworkRecord.order(Column("created"), Column("name")).fetchAll(db) }
    public func network(id: String) throws -> NetworkRecord? { try NetworkRecord.fetchOne(db, key: id) }
    public func network(name: String) throws -> NetworkRecord? {
        try NetworkRecord.filter(Column("name") == name).fetchOne(db)
    }
    public func save(_ n: NetworkRecord) throws { try n.save(db) }
    public func deleteNetwork(id: String) throws {
        _ = try NetworkRecord.deleteOne(db, key: id)
    }

    // MARK: endpoints

    public func endpoints(network: String? = nil) throws -> [EndpointRecord] {
        if let network { return try EndpointRecord.filter(Column("networkId") == network).fetchAll(db) }
        return try EndpointRecord.fetchAll(db)
    }
    public func endpoint(id: String) throws -> EndpointRecord? { try EndpointRecord.fetchOne(db, key: id) }
    /// Every endpoint of `owner` (a container), on any network.
    public func endpoints(owner: String) throws -> [EndpointRecord] {
        try EndpointRecord.filter(Column("ownerId") == owner).fetchAll(db)
    }
    /// The endpoints in one sandbox (network namespace), on any network.
    public func endpoints(sandbox: String) throws -> [EndpointRecord] {
        try EndpointRecord.filter(Column("sandbox") == sandbox).fetchAll(db)
    }
    /// `owner`'s endpoint on `network`, if it has one (one indexed read, not every endpoint).
    public func endpoint(network: String, owner: String) throws -> EndpointRecord? {
        try EndpointRecord.filter(Column("networkId") == network && Column("ownerId") == owner).fetchOne(db)
    }
    public func save(_ e: EndpointRecord) throws { try e.save(db) }
    public func deleteEndpoint(id: String) throws { _ = try EndpointRecord.deleteOne(db, key: id) }

    // MARK: published ports

    /// Published ports, one record per port (rows covering a range are expanded).
    public func portMappings(endpoint: String? = nil) throws -> [PortMappingRecord] {
        try portMappingRows(endpoint: endpoint).flatMap(\.expanded)
    }
    /// Published ports as stored: a row may cover a run of ports (`count` > 1).
    public func portMappingRows(endpoint: String? = nil) throws -> [PortMappingRecord] {
        if let endpoint { return try PortMappingRecord.filter(Column("endpointId") == endpoint).fetchAll(db) }
        return try PortMappingRecord.fetchAll(db)
    }
    public func insert(_ p: PortMappingRecord) throws { try p.insert(db) }
    /// Stores `mappings`, each run of consecutive ports as one row, through one prepared statement.
    public func insert(portMappings mappings: [PortMappingRecord]) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO portMapping (endpointId, networkId, proto, hostIP, hostPort, containerIP, containerPort, count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for m in PortMappingRecord.coalesced(mappings) {
            try statement.execute(arguments: [
                m.endpointId, m.networkId, m.proto, m.hostIP, m.hostPort, m.containerIP, m.containerPort, m.count,
            ])
        }
    }
    public func deletePortMappings(endpoint: String) throws {
        _ = try PortMappingRecord.filter(Column("endpointId") == endpoint).deleteAll(db)
    }

    // MARK: containers

    public func containers() throws -> [ContainerRecord] { try ContainerRecord.order(Column("created")).fetchAll(db) }
    public func container(id: String) throws -> ContainerRecord? { try ContainerRecord.fetchOne(db, key: id) }
    public func container(name: String) throws -> ContainerRecord? {
        try ContainerRecord.filter(Column("name") == name).fetchOne(db)
    }
    /// Running containers whose spec mentions `text` (e.g. a `container:` network mode): one query
    /// instead of reading every container.
    public func runningContainers(specContaining text: String) throws -> [ContainerRecord] {
        try ContainerRecord.filter(Column("state") == ContainerRecord.State.running.rawValue && Column("spec").like("%\(text)%"))
            .fetchAll(db)
    }
    public func save(_ c: ContainerRecord) throws { try c.save(db) }
    public func deleteContainer(id: String) throws { _ = try ContainerRecord.deleteOne(db, key: id) }

    // MARK: addresses

    public func allocations(network: String) throws -> [AddressAllocationRecord] {
        try AddressAllocationRecord.filter(Column("networkId") == network).fetchAll(db)
    }
    public func insert(_ a: AddressAllocationRecord) throws { try a.insert(db) }
    public func deleteAllocation(network: String, address: String) throws -> Bool {
        try AddressAllocationRecord.deleteOne(db, key: ["networkId": network, "address": address])
    }
    public func releases(network: String) throws -> [AddressReleaseRecord] {
        try AddressReleaseRecord.filter(Column("networkId") == network).fetchAll(db)
    }
    public func recordRelease(network: String, address: String) throws {
        let seq = try nextCounter("release")
        try AddressReleaseRecord(networkId: network, address: address, sequence: seq).save(db)
    }

    /// A persistent, increasing counter (for "released addresses are reused last").
    public func nextCounter(_ name: String) throws -> Int64 {
        let current = try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = ?", arguments: [name]) ?? 0
        try db.execute(
            sql: "INSERT INTO counter(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            arguments: [name, current + 1])
        return current + 1
    }
}
