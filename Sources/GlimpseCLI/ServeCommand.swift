import ArgumentParser
import Dispatch
import GlimpseInference
import GlimpseServer

#if canImport(Glibc)
import Glibc
#endif

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve captions, attention maps and answers over HTTP, with a web page.",
    discussion: """
      Routes: GET / (the page), POST /v1/caption, POST /v1/ask, GET /v1/models, GET /healthz and \
      GET /metrics (Prometheus). Requests that arrive within --batch-window-ms of each other are run \
      as one batch. With no model given, the shipped caption-attention and vqa-san models are served. \
      SIGTERM or Ctrl-C lets the requests in flight finish, then exits 0.
      """
  )

  @Option(help: "The address to listen on; loopback unless you mean to expose the service.")
  var host = "127.0.0.1"

  @Option(help: "The TCP port (0 picks a free one, printed at start).")
  var port = 8080

  @Option(help: "A captioning model folder (default: the shipped caption-attention).")
  var captionModel: String?

  @Option(help: "A VQA model folder (default: the shipped vqa-san).")
  var vqaModel: String?

  @Option(help: "The largest request body in bytes; a longer one is refused with 413 while it is read.")
  var maxBodyBytes = 16 << 20

  @Option(help: "The largest image in pixels (width × height), checked from its header; over it, 422.")
  var maxPixels = 16_000_000

  @Option(help: "The most images run through a model at once.")
  var maxBatch = 32

  @Option(help: "How long (ms) the first request of a batch waits for others to join it.")
  var batchWindowMs = 2.0

  @Option(help: "The most requests waiting for the models; past it, 503 with Retry-After.")
  var maxQueue = 256

  @Option(help: "Seconds a request body may take to arrive (408 after).")
  var bodyTimeout = 30.0

  @Option(help: "Seconds an idle connection is kept open.")
  var idleTimeout = 60.0

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    guard maxBodyBytes > 0, maxPixels > 0 else {
      throw ValidationError("--max-body-bytes and --max-pixels must be positive")
    }
    guard (1...256).contains(maxBatch) else { throw ValidationError("--max-batch must be between 1 and 256") }
    guard batchWindowMs >= 0, batchWindowMs <= 1000 else {
      throw ValidationError("--batch-window-ms must be 0 to 1000")
    }
    guard maxQueue > 0 else { throw ValidationError("--max-queue must be positive") }
    guard bodyTimeout > 0, idleTimeout > 0 else {
      throw ValidationError("--body-timeout and --idle-timeout must be positive")
    }
  }

  func run() throws {
    var configuration = ServerConfiguration()
    (configuration.host, configuration.port) = (host, port)
    let executable = CommandLine.arguments[0]
    configuration.captionModel = try captionModel ?? findShippedModel("caption-attention", executable: executable)
    configuration.vqaModel = try vqaModel ?? findShippedModel("vqa-san", executable: executable)
    (configuration.maxBodyBytes, configuration.maxPixels) = (maxBodyBytes, maxPixels)
    (configuration.maxBatch, configuration.batchWindowMilliseconds) = (maxBatch, batchWindowMs)
    (configuration.queueLimit, configuration.bodyTimeoutSeconds) = (maxQueue, bodyTimeout)
    configuration.idleTimeoutSeconds = idleTimeout
    let service = try GlimpseService(configuration: configuration)
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: (any Error)?
    let host = host
    Task {
      do {
        try await runService(service) { port in
          print("glimpse serve: listening on http://\(host):\(port)")
          fflush(nil)
        }
      } catch {
        failure = error
      }
      done.signal()
    }
    done.wait()
    if let failure { throw ServeError(description: "cannot serve on \(host):\(port): \(failure)") }
  }
}

struct ServeError: Error, CustomStringConvertible {
  var description: String
}
