import Hummingbird

/// Why a request failed: its HTTP status and a message for the client, answered as
/// `{"error": message}`.
struct ServiceError: Error, Equatable, CustomStringConvertible {
  var status: HTTPResponse.Status
  var message: String
  var retryAfterSeconds: Int? = nil

  var description: String { "\(status.code) \(message)" }

  /// The queue in front of the models is full.
  static let busy = ServiceError(
    status: .serviceUnavailable, message: "the server is busy (its queue is full); retry shortly", retryAfterSeconds: 1)

  static func badRequest(_ message: String) -> ServiceError { ServiceError(status: .badRequest, message: message) }
}
