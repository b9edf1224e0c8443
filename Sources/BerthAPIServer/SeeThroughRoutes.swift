import BerthAPI
import BerthCore

/// berth's own see-through paths: `GET /berth/topology`, `GET /berth/ns`,
/// `GET /berth/containers/{id}/debug-info`.
enum SeeThroughRoutes {
    static func all(_ service: any SeeThroughService) -> [Route] {
        [
            Route("GET", "/berth/containers/{id}/live") { req in
                try .json(try await service.liveView(req.parameters["id"] ?? ""))
            },
            Route("GET", "/berth/topology") { req in
                let network = req.query["network"].flatMap { $0.isEmpty ? nil : $0 }
                return try .json(try await service.topology(network: network))
            },
            // `containers` is a comma-separated list of names or ids; none = every running container.
            Route("GET", "/berth/ns") { req in
                let refs = (req.query["containers"] ?? "").split(separator: ",").map(String.init)
                return try .json(try await service.namespaces(refs))
            },
            Route("GET", "/berth/containers/{id}/debug-info") { req in
                try .json(try await service.debugInfo(req.parameters["id"] ?? ""))
            },
        ]
    }
}
