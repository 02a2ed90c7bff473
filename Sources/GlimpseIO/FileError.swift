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

/// What an error quotes of a value read from a file or a request: the value itself when it is
/// short, else its first 57 characters and "…", so that a huge key or word cannot make a huge
/// message.
public func excerpt(_ text: some StringProtocol, limit: Int = 60) -> String {
  text.count <= limit ? String(text) : String(text.prefix(limit - 3)) + "…"
}
