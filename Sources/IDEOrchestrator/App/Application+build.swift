import Hummingbird
import Logging

/// Builds the whole service from its settings: store, engine client, loops and HTTP server.
public func buildApplication(settings: Settings) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "ide-orchestrator")
    logger.logLevel = settings.logLevel
    let engine = CurlDockerEngine(endpoint: settings.dockerHost)
    let router = Router()
    router.get("/live") { _, _ in ["status": "ok"] }
    router.get("/ready") { _, _ -> Response in
        do {
            try await engine.ping()
            return Response(status: .ok)
        } catch {
            return Response(status: .serviceUnavailable)
        }
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "ide-orchestrator"),
        logger: logger
    )
}
