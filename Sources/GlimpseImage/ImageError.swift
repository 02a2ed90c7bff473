/// Why an image could not be decoded or encoded. `decodeImage(path:)` wraps it in a
/// `FileError` naming the file.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
