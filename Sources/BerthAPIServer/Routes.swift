import BerthAPI
import BerthCore

/// Berth's route table: Docker Engine API paths and thin handlers (decode → service → encode).
public enum Routes {
    public static func all(
        networks: any NetworkService, system: any SystemService, diagnostics: (any DiagnosticsService)? = nil,
        containers: (any ContainerService)? = nil, images: (any ImageService)? = nil,
        seeThrough: (any SeeThroughService)? = nil
    ) -> [Route] {
        var routes = [
            Route("GET", "/_ping") { _ in
                var r = APIResponse.text("OK")
                r.headers = [("Cache-Control", "no-cache, no-store, must-revalidate")]
                return r
            },
            Route("GET", "/version") { _ in try .json(try await system.version()) },
            Route("GET", "/info") { _ in try .json(try await system.info()) },
            Route("GET", "/networks") { req in
                let filters = try NetworkFilters.parse(json: req.query["filters"])
                return try .json(try await networks.listNetworks(filters: filters))
            },
            Route("POST", "/networks/create") { req in
                let request = try req.decode(NetworkCreateRequest.self)
                return try .json(try await networks.createNetwork(request), status: 201)
            },
            Route("POST", "/networks/prune") { req in
                let filters = try NetworkFilters.parse(json: req.query["filters"])
                return try .json(try await networks.pruneNetworks(filters: filters))
            },
            Route("GET", "/networks/{id}") { req in
                try .json(try await networks.inspectNetwork(req.parameters["id"] ?? ""))
            },
            Route("DELETE", "/networks/{id}") { req in
                try await networks.removeNetwork(req.parameters["id"] ?? "")
                return .empty()
            },
        ]
        if let containers, let images { routes += ContainerRoutes.all(containers: containers, images: images) }
        if let seeThrough { routes += SeeThroughRoutes.all(seeThrough) }
        if let diagnostics {
            routes.append(Route("GET", "/berth/doctor") { _ in try .json(try await diagnostics.doctor()) })
            routes.append(Route("POST", "/berth/doctor/fix") { _ in try .json(try await diagnostics.doctorFix()) })
        }
        return routes
    }
}
