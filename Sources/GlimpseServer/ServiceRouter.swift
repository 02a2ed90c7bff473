import GlimpseIO
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

/// The routes of `glimpse serve`:
/// - `GET /`: the web page; `GET /healthz`; `GET /metrics` (Prometheus' text format);
///   `GET /v1/models`;
/// - `POST /v1/caption`: an image (raw body or the form field `image`), options `beam` and
///   `attention` (query or form);
/// - `POST /v1/ask`: an image and a `question` (form, or JSON with the image in base64).
/// Every error is JSON `{"error": …}` with its status.
public func makeServiceRouter(_ service: GlimpseService) -> Router<BasicRequestContext> {
  let router = Router(context: BasicRequestContext.self)
  router.add(middleware: ServiceMiddleware(metrics: service.metrics))
  router.get("/") { _, _ in
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.contentSecurityPolicy] =
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: webPage)))
  }
  router.get("/healthz") { _, _ in jsonResponse(.object([("status", .string("ok"))])) }
  router.get("/metrics") { _, _ in
    var headers = HTTPFields()
    headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: service.metrics.text)))
  }
  router.get("/v1/models") { _, _ in jsonResponse(service.models) }
  router.post("/v1/caption") { request, _ in jsonResponse(try await service.caption(request)) }
  router.post("/v1/ask") { request, _ in jsonResponse(try await service.ask(request)) }
  return router
}

func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, retryAfter: Int? = nil) -> Response {
  var headers = HTTPFields()
  headers[.contentType] = "application/json"
  if let retryAfter { headers[.retryAfter] = String(retryAfter) }
  return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.text + "\n")))
}

/// Turns every error into its JSON answer and counts every request for /metrics.
struct ServiceMiddleware: RouterMiddleware {
  typealias Context = BasicRequestContext
  let metrics: ServerMetrics

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let start = monotonicNanoseconds()
    let response: Response
    do {
      response = try await next(request, context)
    } catch let error as ServiceError {
      response = jsonResponse(
        .object([("error", .string(error.message))]), status: error.status, retryAfter: error.retryAfterSeconds)
    } catch let error as HTTPError {
      let message =
        error.status == .notFound
        ? "no route for \(request.method) \(request.uri.path.prefix(100))"
        : error.status == .methodNotAllowed
          ? "\(request.method) is not allowed on \(request.uri.path.prefix(100))"
          : error.body ?? error.status.reasonPhrase
      response = jsonResponse(.object([("error", .string(message))]), status: error.status)
    } catch {
      response = jsonResponse(.object([("error", .string("internal error"))]), status: .internalServerError)
    }
    metrics.requestFinished(
      route: request.uri.path, status: response.status.code,
      seconds: Double(monotonicNanoseconds() - start) / 1e9)
    return response
  }
}

/// Serves until SIGTERM or SIGINT, then stops taking connections, lets the requests in flight
/// finish, and returns. `onRunning` is called with the bound port once it listens.
public func runService(
  _ service: GlimpseService, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws {
  let configuration = service.configuration
  raiseOpenFileLimit()
  let app = Application(
    router: makeServiceRouter(service),
    server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000)))),
    configuration: .init(
      address: .hostname(configuration.host, port: configuration.port), serverName: "glimpse", backlog: 1024),
    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) }
  )
  try await app.runService()
  service.shutDown()
}

/// Lifts the soft limit on open files to the hard one (at most 65,536): each connection is a
/// file, and the common soft limit of 1,024 would refuse a busy server's clients.
func raiseOpenFileLimit() {
  var limit = rlimit()
  guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
  let wanted = min(limit.rlim_max, 65_536)
  guard limit.rlim_cur < wanted else { return }
  limit.rlim_cur = wanted
  setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
