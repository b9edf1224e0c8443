import BerthCore

/// `IPAM.Config[]` entry of a network (Docker's field names).
public struct IPAMConfig: Codable, Sendable, Equatable {
    public var subnet: String?
    public var ipRange: String?
    public var gateway: String?

    public init(subnet: String? = nil, ipRange: String? = nil, gateway: String? = nil) {
        self.subnet = subnet
        self.ipRange = ipRange
        self.gateway = gateway
    }

    enum CodingKeys: String, CodingKey {
        case subnet = "Subnet"
        case ipRange = "IPRange"
        case gateway = "Gateway"
    }
}

/// A network's `IPAM` section.
public struct IPAM: Codable, Sendable, Equatable {
    public var driver: String
    public var options: [String: String]?
    public var config: [IPAMConfig]?

    public init(driver: String = "default", options: [String: String]? = nil, config: [IPAMConfig]? = []) {
        self.driver = driver
        self.options = options
        self.config = config
    }

    enum CodingKeys: String, CodingKey {
        case driver = "Driver"
        case options = "Options"
        case config = "Config"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        driver = try c.decodeIfPresent(String.self, forKey: .driver) ?? "default"
        options = try c.decodeIfPresent([String: String].self, forKey: .options)
        config = try c.decodeIfPresent([IPAMConfig].self, forKey: .config)
    }
}

/// One container's endpoint in `network inspect` (`Containers{id: …}`).
public struct EndpointResource: Codable, Sendable, Equatable {
    public var name: String
    public var endpointID: String
    public var macAddress: String
    public var ipv4Address: String
    public var ipv6Address: String

    public init(name: String, endpointID: String, macAddress: String, ipv4Address: String, ipv6Address: String = "") {
        self.name = name
        self.endpointID = endpointID
        self.macAddress = macAddress
        self.ipv4Address = ipv4Address
        self.ipv6Address = ipv6Address
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case endpointID = "EndpointID"
        case macAddress = "MacAddress"
        case ipv4Address = "IPv4Address"
        case ipv6Address = "IPv6Address"
    }
}

/// `GET /networks/{id}`: a network in Docker's JSON shape.
public struct NetworkResource: Codable, Sendable, Equatable {
    public var name: String
    public var id: String
    public var created: String
    public var scope: String
    public var driver: String
    public var enableIPv6: Bool
    public var ipam: IPAM
    public var `internal`: Bool
    public var attachable: Bool
    public var ingress: Bool
    public var configOnly: Bool
    public var containers: [String: EndpointResource]
    public var options: [String: String]
    public var labels: [String: String]

    public init(
        name: String, id: String, created: String, scope: String = "local", driver: String, enableIPv6: Bool = false,
        ipam: IPAM, internal: Bool, attachable: Bool, ingress: Bool = false, configOnly: Bool = false,
        containers: [String: EndpointResource], options: [String: String], labels: [String: String]
    ) {
        self.name = name
        self.id = id
        self.created = created
        self.scope = scope
        self.driver = driver
        self.enableIPv6 = enableIPv6
        self.ipam = ipam
        self.internal = `internal`
        self.attachable = attachable
        self.ingress = ingress
        self.configOnly = configOnly
        self.containers = containers
        self.options = options
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case id = "Id"
        case created = "Created"
        case scope = "Scope"
        case driver = "Driver"
        case enableIPv6 = "EnableIPv6"
        case ipam = "IPAM"
        case `internal` = "Internal"
        case attachable = "Attachable"
        case ingress = "Ingress"
        case configFrom = "ConfigFrom"
        case configOnly = "ConfigOnly"
        case containers = "Containers"
        case options = "Options"
        case labels = "Labels"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        id = try c.decode(String.self, forKey: .id)
        created = try c.decodeIfPresent(String.self, forKey: .created) ?? ""
        scope = try c.decodeIfPresent(String.self, forKey: .scope) ?? "local"
        driver = try c.decodeIfPresent(String.self, forKey: .driver) ?? "bridge"
        enableIPv6 = try c.decodeIfPresent(Bool.self, forKey: .enableIPv6) ?? false
        ipam = try c.decodeIfPresent(IPAM.self, forKey: .ipam) ?? IPAM()
        self.internal = try c.decodeIfPresent(Bool.self, forKey: .internal) ?? false
        attachable = try c.decodeIfPresent(Bool.self, forKey: .attachable) ?? false
        ingress = try c.decodeIfPresent(Bool.self, forKey: .ingress) ?? false
        configOnly = try c.decodeIfPresent(Bool.self, forKey: .configOnly) ?? false
        containers = try c.decodeIfPresent([String: EndpointResource].self, forKey: .containers) ?? [:]
        options = try c.decodeIfPresent([String: String].self, forKey: .options) ?? [:]
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(id, forKey: .id)
        try c.encode(created, forKey: .created)
        try c.encode(scope, forKey: .scope)
        try c.encode(driver, forKey: .driver)
        try c.encode(enableIPv6, forKey: .enableIPv6)
        try c.encode(ipam, forKey: .ipam)
        try c.encode(self.internal, forKey: .internal)
        try c.encode(attachable, forKey: .attachable)
        try c.encode(ingress, forKey: .ingress)
        try c.encode(["Network": ""], forKey: .configFrom)
        try c.encode(configOnly, forKey: .configOnly)
        try c.encode(containers, forKey: .containers)
        try c.encode(options, forKey: .options)
        try c.encode(labels, forKey: .labels)
    }
}

/// `POST /networks/create` body.
public struct NetworkCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var checkDuplicate: Bool?
    public var driver: String?
    public var `internal`: Bool?
    public var attachable: Bool?
    public var enableIPv6: Bool?
    public var ipam: IPAM?
    public var options: [String: String]?
    public var labels: [String: String]?

    public init(
        name: String, driver: String? = nil, internal: Bool? = nil, attachable: Bool? = nil, enableIPv6: Bool? = nil,
        ipam: IPAM? = nil, options: [String: String]? = nil, labels: [String: String]? = nil
    ) {
        self.name = name
        self.driver = driver
        self.internal = `internal`
        self.attachable = attachable
        self.enableIPv6 = enableIPv6
        self.ipam = ipam
        self.options = options
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case checkDuplicate = "CheckDuplicate"
        case driver = "Driver"
        case `internal` = "Internal"
        case attachable = "Attachable"
        case enableIPv6 = "EnableIPv6"
        case ipam = "IPAM"
        case options = "Options"
        case labels = "Labels"
    }
}

/// `POST /networks/create` reply.
public struct NetworkCreateResponse: Codable, Sendable, Equatable {
    public var id: String
    public var warning: String

    public init(id: String, warning: String = "") {
        self.id = id
        self.warning = warning
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case warning = "Warning"
    }
}

/// `POST /networks/prune` reply.
public struct NetworkPruneResponse: Codable, Sendable, Equatable {
    public var networksDeleted: [String]

    public init(networksDeleted: [String]) { self.networksDeleted = networksDeleted }

    enum CodingKeys: String, CodingKey {
        case networksDeleted = "NetworksDeleted"
    }
}

/// Docker's error body.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}
