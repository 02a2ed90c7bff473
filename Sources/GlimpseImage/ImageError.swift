/// Why an image could not be decoded or encoded. `decodeImage(path:)` wraps it in a
/// `FileError` naming the file.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  /// The image is valid as far as its header goes but larger than the caller's pixel limit.
  public var exceedsPixelLimit: Bool
  public init(_ reason: String, exceedsPixelLimit: Bool = false) {
    (self.reason, self.exceedsPixelLimit) = (reason, exceedsPixelLimit)
  }
  public var description: String { reason }
}
