/// An error about one file that describes itself as `FILE: reason`, the form the CLI prints.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
  public var path: String
  public var reason: String

  public init(_ path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): \(reason)" }
}
