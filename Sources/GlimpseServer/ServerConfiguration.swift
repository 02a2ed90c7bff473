/// How `glimpse serve` runs: where it listens, which models it serves, and its limits.
public struct ServerConfiguration: Sendable {
  public var host = "127.0.0.1"
  public var port = 8080
  public var captionModel: String?
  public var vqaModel: String?
  /// The largest request body read; a longer one is refused with 413 while it is read.
  public var maxBodyBytes = 16 << 20
  /// The largest image (width × height) decoded, checked from its header; over it, 422.
  public var maxPixels = 16_000_000
  public var maxBatch = 32
  public var batchWindowMilliseconds = 2.0
  /// Jobs waiting for the models beyond the batch being run; past it, 503 with Retry-After.
  public var queueLimit = 256
  /// A request's body must arrive within this; a slower upload gets 408.
  public var bodyTimeoutSeconds = 30.0
  /// A connection with no request for this long is closed.
  public var idleTimeoutSeconds = 60.0
  /// Beam widths a request may ask for.
  public var maxBeam = 8

  public init() {}
}
