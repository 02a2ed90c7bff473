/// One part of a `multipart/form-data` body: its field name, file name if any, and bytes.
struct FormPart: Equatable {
  var name: String
  var filename: String?
  var contentType: String?
  var data: [UInt8]
}

struct MultipartError: Error, Equatable, CustomStringConvertible {
  var description: String
}

/// The boundary of a `multipart/form-data; boundary=…` content type, unquoted.
func multipartBoundary(contentType: String) -> String? {
  for parameter in contentType.split(separator: ";").dropFirst() {
    let pair = parameter.split(separator: "=", maxSplits: 1)
    guard pair.count == 2, pair[0].trimmingSpaces.lowercased() == "boundary" else { continue }
    var value = pair[1].trimmingSpaces
    if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
    return (1...70).contains(value.utf8.count) ? value : nil
  }
  return nil
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts. Anything malformed (no
/// opening boundary, a part without its blank line or its name, no closing boundary) throws.
func parseMultipart(_ body: [UInt8], boundary: String) throws -> [FormPart] {
  let delimiter = Array("--\(boundary)".utf8)
  guard var start = firstIndex(of: delimiter, in: body, from: 0) else {
    throw MultipartError(description: "the multipart body has no boundary '\(boundary.prefix(60))'")
  }
  var parts = [FormPart]()
  while true {
    var cursor = start + delimiter.count
    if body[cursor...].starts(with: Array("--".utf8)) { return parts }
    guard body[cursor...].starts(with: Array("\r\n".utf8)) else {
      throw MultipartError(description: "a multipart boundary is not followed by a line break")
    }
    cursor += 2
    guard let headerEnd = firstIndex(of: Array("\r\n\r\n".utf8), in: body, from: cursor) else {
      throw MultipartError(description: "a multipart part's headers do not end")
    }
    let headers = String(decoding: body[cursor..<headerEnd], as: UTF8.self)
    let dataStart = headerEnd + 4
    guard let next = firstIndex(of: Array("\r\n".utf8) + delimiter, in: body, from: dataStart - 2) else {
      throw MultipartError(description: "the multipart body has no closing boundary")
    }
    var part = FormPart(name: "", filename: nil, contentType: nil, data: Array(body[dataStart..<max(dataStart, next)]))
    for line in headers.split(separator: "\r\n") {
      let pair = line.split(separator: ":", maxSplits: 1)
      guard pair.count == 2 else { throw MultipartError(description: "a multipart header has no colon") }
      switch pair[0].trimmingSpaces.lowercased() {
      case "content-disposition":
        for parameter in pair[1].split(separator: ";").dropFirst() {
          let field = parameter.split(separator: "=", maxSplits: 1)
          guard field.count == 2 else { continue }
          var value = field[1].trimmingSpaces
          if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast())
          }
          switch field[0].trimmingSpaces.lowercased() {
          case "name": part.name = value
          case "filename": part.filename = value
          default: break
          }
        }
      case "content-type": part.contentType = pair[1].trimmingSpaces
      default: break
      }
    }
    guard !part.name.isEmpty else { throw MultipartError(description: "a multipart part has no name") }
    parts.append(part)
    start = next + 2
  }
}

/// Where `needle` first occurs in `haystack` at or after `from`.
func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
  guard !needle.isEmpty, from >= 0, haystack.count >= needle.count else { return nil }
  let first = needle[0], last = haystack.count - needle.count
  var i = from
  while i <= last {
    if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
    i += 1
  }
  return nil
}

extension Substring {
  var trimmingSpaces: String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }
}
