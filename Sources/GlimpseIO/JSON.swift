/// A JSON value. Objects keep their keys in order, so what is read and written again, or
/// written twice, comes out byte for byte the same.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case let (.bool(a), .bool(b)): return a == b
    case let (.number(a), .number(b)): return a == b
    case let (.string(a), .string(b)): return a == b
    case let (.array(a), .array(b)): return a == b
    case let (.object(a), .object(b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
    return nil
  }

  public var string: String? { if case .string(let s) = self { return s }; return nil }
  public var number: Double? { if case .number(let n) = self { return n }; return nil }
  public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
  public var object: [(String, JSONValue)]? { if case .object(let o) = self { return o }; return nil }
  public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }

  /// The number as an exact integer, or nil if it has a fraction or is out of range.
  public var integer: Int? {
    guard let n = number, n == n.rounded(), abs(n) <= 9_007_199_254_740_992 else { return nil }
    return Int(n)
  }
}

/// Why a text is not JSON, with the byte offset where reading stopped.
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
  public var offset: Int
  public var reason: String
  public var description: String { "\(reason) at byte \(offset)" }
}

/// Parses JSON text (RFC 8259); nesting is limited to 512 levels so bad input cannot exhaust the stack.
public func parseJSON(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
  var parser = JSONParser(bytes: Array(bytes))
  parser.skipSpace()
  let value = try parser.value(depth: 0)
  parser.skipSpace()
  guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
  return value
}

public func parseJSON(_ text: String) throws(JSONError) -> JSONValue { try parseJSON(Array(text.utf8)) }

struct JSONParser {
  let bytes: [UInt8]
  var position = 0

  func error(_ reason: String) -> JSONError { JSONError(offset: position, reason: reason) }

  mutating func skipSpace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x0A, 0x0D, 0x09: position += 1
      default: return
      }
    }
  }

  mutating func expect(_ literal: String) throws(JSONError) {
    for byte in literal.utf8 {
      guard position < bytes.count, bytes[position] == byte else { throw error("expected '\(literal)'") }
      position += 1
    }
  }

  mutating func value(depth: Int) throws(JSONError) -> JSONValue {
    guard depth < 512 else { throw error("nested too deeply") }
    guard position < bytes.count else { throw error("unexpected end of text") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try expect("true"); return .bool(true)
    case UInt8(ascii: "f"): try expect("false"); return .bool(false)
    case UInt8(ascii: "n"): try expect("null"); return .null
    default: return .number(try number())
    }
  }

  mutating func object(depth: Int) throws(JSONError) -> JSONValue {
    position += 1
    var members = [(String, JSONValue)]()
    skipSpace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
    while true {
      skipSpace()
      guard position < bytes.count else { throw error("unexpected end of text in an object") }
      guard bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let key = try string()
      skipSpace()
      try expect(":")
      skipSpace()
      members.append((key, try value(depth: depth + 1)))
      skipSpace()
      guard position < bytes.count else { throw error("unexpected end of text in an object") }
      if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
      if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
      throw error("expected ',' or '}'")
    }
  }

  mutating func array(depth: Int) throws(JSONError) -> JSONValue {
    position += 1
    var items = [JSONValue]()
    skipSpace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
    while true {
      skipSpace()
      items.append(try value(depth: depth + 1))
      skipSpace()
      guard position < bytes.count else { throw error("unexpected end of text in an array") }
      if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
      if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
      throw error("expected ',' or ']'")
    }
  }

  mutating func string() throws(JSONError) -> String {
    position += 1
    var out = [UInt8]()
    while true {
      guard position < bytes.count else { throw error("unterminated string") }
      let byte = bytes[position]
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        guard let text = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return text
      case UInt8(ascii: "\\"):
        guard position < bytes.count else { throw error("unterminated escape") }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar) {
            try expect("\\u")
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let character = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
          out.append(contentsOf: Array(String(character).utf8))
        default: throw error("invalid escape")
        }
      default:
        guard byte >= 0x20 else { throw error("control character in a string") }
        out.append(byte)
      }
    }
  }

  mutating func hex4() throws(JSONError) -> UInt32 {
    guard position + 4 <= bytes.count,
      let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
    else { throw error("invalid \\u escape") }
    position += 4
    return value
  }

  mutating func number() throws(JSONError) -> Double {
    let start = position
    while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    let digits = text.first == "-" ? text.dropFirst() : Substring(text)
    guard !digits.isEmpty, digits.first!.isNumber,
      !(digits.count > 1 && digits.hasPrefix("0") && digits.dropFirst().first!.isNumber),
      let value = Double(text), value.isFinite
    else {
      position = start
      throw error(text.isEmpty ? "unexpected character" : "invalid number '\(text)'")
    }
    return value
  }
}

extension JSONValue {
  /// Compact JSON text: no spaces, keys in their stored order, integers without a fraction.
  public var text: String {
    var out = ""
    write(to: &out)
    return out
  }

  func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n):
      if n == n.rounded() && abs(n) < 1e15 { out += String(Int64(n)) } else { out += "\(n)" }
    case .string(let s): out += jsonQuoted(s)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, (key, value)) in members.enumerated() {
        if i > 0 { out += "," }
        out += jsonQuoted(key)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }
}

/// A string as a JSON string literal.
public func jsonQuoted(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    default:
      if scalar.value < 0x20 {
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}
