import Prometheus

/// What /metrics reports, in Prometheus' text format: requests by route and status, request
/// latency, the models' batch sizes, and the jobs waiting for them.
final class ServerMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  let queueDepth: Gauge

  static let routes = ["/", "/healthz", "/metrics", "/v1/models", "/v1/caption", "/v1/ask"]
  private static let latencyBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
    .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
  ]

  init() {
    queueDepth = registry.makeGauge(
      descriptor: MetricNameDescriptor(
        namespace: "glimpse", metricName: "queue_depth", unitName: "jobs", helpText: "Jobs waiting for the models"))
  }

  /// Routes outside the known ones are counted as "other", so that a scan of random paths
  /// cannot grow the set of series without bound.
  func requestFinished(route: String, status: Int, seconds: Double) {
    let route = Self.routes.contains(route) ? route : "other"
    registry.makeCounter(
      descriptor: MetricNameDescriptor(
        namespace: "glimpse", metricName: "requests", unitName: "total",
        helpText: "HTTP requests answered, by route and status"),
      labels: [("route", route), ("status", String(status))]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: MetricNameDescriptor(
        namespace: "glimpse", metricName: "request_duration", unitName: "seconds",
        helpText: "Time from a request's head to its response"),
      labels: [("route", route)], buckets: Self.latencyBuckets
    ).record(.nanoseconds(Int64(seconds * 1e9)))
  }

  func batchRan(route: String, size: Int) {
    registry.makeValueHistogram(
      descriptor: MetricNameDescriptor(
        namespace: "glimpse", metricName: "batch_size", unitName: "images",
        helpText: "Images in each batch run through a model"),
      labels: [("route", route)], buckets: [1, 2, 4, 8, 16, 32, 64]
    ).record(Double(size))
  }

  var text: String { registry.emitToString() }
}
