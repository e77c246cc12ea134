import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics set-up, done once by `serve` (tests build applications
/// without it, each with its own metrics registry).
public enum Observability {
    /// Sends swift-log output through `OrchestratorLogHandler` in `LOG_FORMAT` with request ids,
    /// and swift-metrics output (from any library) into `metrics`' registry.
    public static func bootstrap(settings: Settings, metrics: OrchestratorMetrics) {
        let format = settings.logFormat
        let level = settings.logLevel
        LoggingSystem.bootstrap({ label, provider in
            var handler = OrchestratorLogHandler(label: label, format: format, metadataProvider: provider)
            handler.logLevel = level
            return handler
        }, metadataProvider: .requestID)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
    }
}
