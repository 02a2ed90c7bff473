import GlimpseIO
import GlimpseImage
import Hummingbird

/// Reads a request's body, refusing it with 413 as soon as it passes `limit` bytes (or at
/// once when its Content-Length says it will) and with 408 when it has not all arrived within
/// `timeoutSeconds`, as a slow-drip upload would not.
func readBody(_ request: Request, limit: Int, timeoutSeconds: Double) async throws -> [UInt8] {
  if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
    throw tooLarge(declared, limit: limit)
  }
  let body = request.body
  return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
    group.addTask {
      var bytes = [UInt8]()
      for try await chunk in body {
        guard bytes.count + chunk.readableBytes <= limit else { throw tooLarge(nil, limit: limit) }
        bytes += chunk.readableBytesView
      }
      return bytes
    }
    group.addTask {
      try await Task.sleep(for: .milliseconds(Int(timeoutSeconds * 1000)))
      return nil
    }
    defer { group.cancelAll() }
    guard let bytes = try await group.next()! else {
      throw ServiceError(
        status: .requestTimeout, message: "the request body did not arrive within \(formatSeconds(timeoutSeconds))")
    }
    return bytes
  }
}

private func tooLarge(_ declared: Int?, limit: Int) -> ServiceError {
  let message =
    declared.map { "the request body is \($0) bytes; the limit is \(limit) bytes" }
    ?? "the request body is longer than the limit of \(limit) bytes"
  return ServiceError(status: .contentTooLarge, message: message)
}

private func formatSeconds(_ seconds: Double) -> String {
  seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}

/// A request's fields, however they came: query parameters, then multipart form fields (which
/// win), and the image's bytes, from a raw PNG/JPEG body or the form's `image` field.
struct RequestFields {
  var values: [String: String] = [:]
  var image: [UInt8]?

  /// Splits a body by its Content-Type: `image/png` and `image/jpeg` are the image itself,
  /// `multipart/form-data` is a form, `application/json` (when `acceptsJSON`) an object whose
  /// `image` is base64. Anything else is 415.
  init(request: Request, body: [UInt8], acceptsJSON: Bool) throws {
    for (key, value) in request.uri.queryParameters { values[String(key)] = String(value) }
    let contentType = request.headers[.contentType] ?? ""
    let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
    switch mediaType {
    case "image/png", "image/jpeg":
      image = body
    case "multipart/form-data":
      guard let boundary = multipartBoundary(contentType: contentType) else {
        throw ServiceError.badRequest("the multipart/form-data Content-Type has no boundary")
      }
      let parts: [FormPart]
      do { parts = try parseMultipart(body, boundary: boundary) } catch let error as MultipartError {
        throw ServiceError.badRequest(error.description)
      }
      for part in parts {
        if part.name == "image" {
          image = part.data
        } else {
          values[part.name] = String(decoding: part.data, as: UTF8.self)
        }
      }
    case "application/json" where acceptsJSON:
      let json: JSONValue
      do { json = try parseJSON(body) } catch { throw ServiceError.badRequest("the JSON body is invalid: \(error)") }
      guard let object = json.object else { throw ServiceError.badRequest("the JSON body must be an object") }
      for (key, value) in object {
        if key == "image" {
          guard let text = value.string, let bytes = decodeBase64(text) else {
            throw ServiceError.badRequest("the JSON field 'image' must be a base64-encoded PNG or JPEG")
          }
          image = bytes
        } else if let text = value.string {
          values[key] = text
        } else if let number = value.integer {
          values[key] = String(number)
        } else if let flag = value.bool {
          values[key] = String(flag)
        }
      }
    default:
      let accepted =
        acceptsJSON
        ? "image/png, image/jpeg, multipart/form-data or application/json"
        : "image/png, image/jpeg or multipart/form-data"
      let got = mediaType.isEmpty ? "none" : "'\(mediaType.prefix(60))'"
      throw ServiceError(status: .unsupportedMediaType, message: "the Content-Type must be \(accepted) (got \(got))")
    }
  }

  func integer(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
    guard let text = values[key] else { return value }
    guard let number = Int(text), range.contains(number) else {
      throw ServiceError.badRequest(
        "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text.prefix(60))')")
    }
    return number
  }

  func flag(_ key: String) throws -> Bool {
    guard let text = values[key] else { return false }
    switch text.lowercased() {
    case "1", "true", "yes", "on": return true
    case "0", "false", "no", "off", "": return false
    default: throw ServiceError.badRequest("'\(key)' must be true or false (got '\(text.prefix(60))')")
    }
  }

  /// The image, decoded within the pixel limit: 400 when missing or undecodable, 422 when larger.
  func decodedImage(maxPixels: Int) throws -> Image {
    guard let bytes = image else {
      throw ServiceError.badRequest(
        "no image: send it as the body (image/png or image/jpeg) or as the form field 'image'")
    }
    do {
      return try decodeImage(bytes: bytes, maxPixels: maxPixels).image
    } catch let error as ImageError {
      if error.exceedsPixelLimit { throw ServiceError(status: .unprocessableContent, message: error.reason) }
      throw ServiceError.badRequest("the image could not be decoded: \(error.reason)")
    }
  }
}
