/// A JSON object's field that is missing or of the wrong type: the reason names the key.
public struct JSONTypeError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// Typed readers of an object's fields. The required ones throw for a missing key; the
/// optional ones return nil for a missing key (or null). Both throw for a value of the
/// wrong type, so a damaged file is never read as a default.
extension JSONValue {
  public func requiredInteger(_ key: String) throws(JSONTypeError) -> Int {
    guard let value = try optionalInteger(key) else { throw JSONTypeError("missing key '\(key)'") }
    return value
  }

  public func requiredNumber(_ key: String) throws(JSONTypeError) -> Double {
    guard let value = try optionalNumber(key) else { throw JSONTypeError("missing key '\(key)'") }
    return value
  }

  public func requiredString(_ key: String) throws(JSONTypeError) -> String {
    guard let value = try optionalString(key) else { throw JSONTypeError("missing key '\(key)'") }
    return value
  }

  public func optionalInteger(_ key: String) throws(JSONTypeError) -> Int? {
    guard let field = present(key) else { return nil }
    guard let value = field.integer else { throw JSONTypeError("'\(key)' must be a whole number") }
    return value
  }

  public func optionalNumber(_ key: String) throws(JSONTypeError) -> Double? {
    guard let field = present(key) else { return nil }
    guard let value = field.number else { throw JSONTypeError("'\(key)' must be a number") }
    return value
  }

  public func optionalString(_ key: String) throws(JSONTypeError) -> String? {
    guard let field = present(key) else { return nil }
    guard let value = field.string else { throw JSONTypeError("'\(key)' must be a string") }
    return value
  }

  public func optionalIntegers(_ key: String) throws(JSONTypeError) -> [Int]? {
    guard let field = present(key) else { return nil }
    guard let items = field.array, case let values = items.compactMap(\.integer), values.count == items.count else {
      throw JSONTypeError("'\(key)' must be a list of whole numbers")
    }
    return values
  }

  private func present(_ key: String) -> JSONValue? {
    guard let field = self[key], field != .null else { return nil }
    return field
  }
}

extension JSONValue {
  /// A float as the shortest decimal that reads back as the same float ("0.1", not the
  /// double 0.10000000149011612).
  public static func float(_ value: Float) -> JSONValue { .number(Double(value.description) ?? Double(value)) }

  /// A whole number.
  public static func integer(_ value: Int) -> JSONValue { .number(Double(value)) }

  /// A list of floats.
  public static func floats(_ values: [Float]) -> JSONValue { .array(values.map(JSONValue.float)) }
}
