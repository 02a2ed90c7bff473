import GlimpseIO
import GlimpseInference
import GlimpseTestSupport
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import GlimpseServer

/// Each route's success and each error status, in process (Hummingbird's router test client):
/// exact JSON where the answer is fixed, and the same captions and answers as the command line.
final class ServiceRouteTests: XCTestCase {
  static let image = projectRoot + "/datasets/sample/images/test_000001.png"

  func testHealthAndUnknownRoutes() async throws {
    try await withService { client in
      try await client.execute(uri: "/healthz", method: .get) { response in
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.headers[.contentType], "application/json")
        XCTAssertEqual(String(buffer: response.body), "{\"status\":\"ok\"}\n")
      }
      try await client.execute(uri: "/nothing/here", method: .get) { response in
        XCTAssertEqual(response.status, .notFound)
        XCTAssertEqual(String(buffer: response.body), "{\"error\":\"no route for GET /nothing/here\"}\n")
      }
    }
  }

  func testPageIsSelfContained() async throws {
    try await withService { client in
      try await client.execute(uri: "/", method: .get) { response in
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.headers[.contentType], "text/html; charset=utf-8")
        let page = String(buffer: response.body)
        XCTAssertTrue(page.contains("<canvas id=\"view\""))
        XCTAssertTrue(page.contains("<input id=\"file\" type=\"file\""))
        XCTAssertFalse(
          page.contains("http://") || page.contains("https://"), "the page must load nothing from elsewhere")
        XCTAssertFalse(page.contains("<script src") || page.contains("<link"), "no external scripts or styles")
      }
    }
  }

  func testMetricsCountRequestsAndBatches() async throws {
    let png = try readFileBytes(Self.image)
    try await withService { client in
      for _ in 0..<2 {
        try await client.execute(
          uri: "/v1/caption", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png))
      }
      try await client.execute(uri: "/v1/caption", method: .post, headers: [.contentType: "text/plain"])
      try await client.execute(uri: "/metrics", method: .get) { response in
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.headers[.contentType], "text/plain; version=0.0.4; charset=utf-8")
        let lines = Set(String(buffer: response.body).split(separator: "\n").map(String.init))
        for expected in [
          "glimpse_requests_total{route=\"/v1/caption\",status=\"200\"} 2",
          "glimpse_requests_total{route=\"/v1/caption\",status=\"415\"} 1",
          "glimpse_request_duration_seconds_count{route=\"/v1/caption\"} 3",
          "glimpse_batch_size_images_count{route=\"/v1/caption\"} 2",
          "glimpse_batch_size_images_sum{route=\"/v1/caption\"} 2.0",
          "glimpse_queue_depth_jobs 0.0",
        ] {
          XCTAssertTrue(lines.contains(expected), "no line '\(expected)' in /metrics")
        }
      }
    }
  }

  func testModels() async throws {
    try await withService { client in
      try await client.execute(uri: "/v1/models", method: .get) { response in
        XCTAssertEqual(response.status, .ok)
        let json = try parseJSON(Array(String(buffer: response.body).utf8))
        XCTAssertEqual(json["caption"]?["name"]?.string, "caption-attention")
        XCTAssertEqual(json["caption"]?["config"]?["decoder"]?.string, "attention")
        XCTAssertEqual(json["vqa"]?["name"]?.string, "vqa-san")
      }
    }
  }

  func testCaptionMatchesTheCommandLine() async throws {
    let model = try CaptionModel.load(folder: projectRoot + "/models/caption-attention")
    let greedy = try captionImage(path: Self.image, model: model)
    let beam = try captionImage(path: Self.image, model: model, decoding: .beam(3))
    let png = try readFileBytes(Self.image)
    let (side, locations) = (model.encoder.gridShape.side, model.encoder.gridShape.locations)
    try await withService { client in
      try await client.execute(
        uri: "/v1/caption", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        XCTAssertEqual(response.status, .ok)
        let json = try parseJSON(Array(String(buffer: response.body).utf8))
        XCTAssertEqual(json["caption"]?.string, greedy.text)
        XCTAssertEqual(json["tokens"]?.array?.compactMap { $0["word"]?.string }, greedy.words)
        let logprobs = json["tokens"]?.array?.compactMap { $0["logprob"]?.number.map(Float.init) }
        XCTAssertEqual(logprobs, greedy.wordLogProbabilities)
        XCTAssertEqual(json["model"]?.string, "caption-attention")
        XCTAssertNil(json["attention"])
        XCTAssertNotNil(json["ms"]?.number)
      }
      try await client.execute(
        uri: "/v1/caption?beam=3", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        XCTAssertEqual(try parseJSON(Array(String(buffer: response.body).utf8))["caption"]?.string, beam.text)
      }
      let (type, form) = multipartForm([("image", png, "test.png"), ("attention", Array("true".utf8), nil)])
      do {
        let (status, json) = try await post(client, "/v1/caption", type: type, body: form)
        XCTAssertEqual(status, .ok)
        XCTAssertEqual(json["caption"]?.string, greedy.text)
        let maps = json["attention"]?["maps"]?.array ?? []
        XCTAssertEqual(json["attention"]?["grid"]?.integer, side)
        XCTAssertEqual(maps.count, greedy.words.count, "one map per word")
        for map in maps {
          let values = map.array?.compactMap(\.number) ?? []
          XCTAssertEqual(values.count, locations)
          XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-4, "a map is a softmax over the grid")
        }
      }
    }
  }

  func testCaptionErrors() async throws {
    let png = try readFileBytes(Self.image)
    try await withService({ $0.maxBodyBytes = 10_000 }) { client in
      try await expectError(
        client, "/v1/caption", type: "image/png", body: Array("garbage".utf8), .badRequest,
        "the image could not be decoded: not a PNG or JPEG image (starts with bytes 67 61 72 62)")
      try await expectError(
        client, "/v1/caption", type: "text/plain", body: png, .unsupportedMediaType,
        "the Content-Type must be image/png, image/jpeg or multipart/form-data (got 'text/plain')")
      try await expectError(
        client, "/v1/caption", type: nil, body: png, .unsupportedMediaType,
        "the Content-Type must be image/png, image/jpeg or multipart/form-data (got none)")
      try await expectError(
        client, "/v1/caption", type: "image/png", body: [UInt8](repeating: 0, count: 10_001), .contentTooLarge,
        "the request body is 10001 bytes; the limit is 10000 bytes")
      try await expectError(
        client, "/v1/caption?beam=0", type: "image/png", body: png, .badRequest,
        "'beam' must be a whole number from 1 to 8 (got '0')")
      try await expectError(
        client, "/v1/caption?beam=2&attention=1", type: "image/png", body: png, .badRequest,
        "attention maps come with greedy decoding; use beam 1")
      try await expectError(
        client, "/v1/caption?attention=maybe", type: "image/png", body: png, .badRequest,
        "'attention' must be true or false (got 'maybe')")
      let (type, form) = multipartForm([("beam", Array("1".utf8), nil)])
      try await expectError(
        client, "/v1/caption", type: type, body: form, .badRequest,
        "no image: send it as the body (image/png or image/jpeg) or as the form field 'image'")
      try await expectError(
        client, "/v1/caption", type: "multipart/form-data; boundary=xyz", body: Array("--abc\r\n".utf8), .badRequest,
        "the multipart body has no boundary 'xyz'")
    }
    try await withService({ $0.maxPixels = 1000 }) { client in
      try await expectError(
        client, "/v1/caption", type: "image/png", body: png, .unprocessableContent,
        "image is 64x64, more than the limit of 1000 pixels")
    }
    try await withService({ $0.queueLimit = 0 }) { client in
      try await client.execute(
        uri: "/v1/caption", method: .post, headers: [.contentType: "image/png"], body: ByteBuffer(bytes: png)
      ) { response in
        XCTAssertEqual(response.status, .serviceUnavailable)
        XCTAssertEqual(response.headers[.retryAfter], "1")
        XCTAssertEqual(
          String(buffer: response.body), "{\"error\":\"the server is busy (its queue is full); retry shortly\"}\n")
      }
    }
    try await withService({ $0.captionModel = nil }) { client in
      try await expectError(
        client, "/v1/caption", type: "image/png", body: png, .notFound,
        "this server has no captioning model (start it with --caption-model)")
    }
  }

  func testAskMatchesTheCommandLine() async throws {
    let model = try AnsweringModel.load(folder: projectRoot + "/models/vqa-san")
    let question = "what colour is the square?"
    let expected = try ImageQuestions(path: Self.image, model: model).ask(question, top: 5)
    let png = try readFileBytes(Self.image)
    let json = JSONValue.object([("image", .string(base64(png))), ("question", .string(question))]).text
    let (type, form) = multipartForm([("image", png, "a.png"), ("question", Array(question.utf8), nil)])
    try await withService { client in
      for (contentType, body) in [("application/json", Array(json.utf8)), (type, form)] {
        do {
          let (status, answer) = try await post(client, "/v1/ask", type: contentType, body: body)
          XCTAssertEqual(status, .ok)
          XCTAssertEqual(answer["answer"]?.string, expected.answer)
          XCTAssertEqual(answer["top"]?.array?.compactMap { $0["answer"]?.string }, expected.top.map(\.answer))
          XCTAssertEqual(
            answer["top"]?.array?.compactMap { $0["p"]?.number.map(Float.init) }, expected.top.map(\.probability))
          XCTAssertEqual(answer["unknown_words"], .array([.string("colour")]))
          XCTAssertEqual(answer["hops"]?["maps"]?.array?.count, expected.hopMaps.count)
          XCTAssertEqual(answer["model"]?.string, "vqa-san")
        }
      }
    }
  }

  func testAskErrors() async throws {
    let png = try readFileBytes(Self.image)
    try await withService { client in
      let (noQuestion, form) = multipartForm([("image", png, "a.png")])
      try await expectError(
        client, "/v1/ask", type: noQuestion, body: form, .badRequest, "no question: send the field 'question'")
      let (type, unknown) = multipartForm([("image", png, "a.png"), ("question", Array("zebra unicorn".utf8), nil)])
      try await expectError(
        client, "/v1/ask", type: type, body: unknown, .badRequest,
        "none of the question's words (zebra unicorn) is in the model's vocabulary")
      try await expectError(
        client, "/v1/ask", type: "application/json", body: Array("{\"question\": ".utf8), .badRequest,
        "the JSON body is invalid: unexpected end of text at byte 13")
      try await expectError(
        client, "/v1/ask", type: "application/json", body: Array("{\"image\": \"***\", \"question\": \"what\"}".utf8),
        .badRequest, "the JSON field 'image' must be a base64-encoded PNG or JPEG")
    }
  }
}

/// Runs `body` against a service on the shipped models, configured by `configure`.
func withService(
  _ configure: (inout ServerConfiguration) -> Void = { _ in },
  _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
  var configuration = ServerConfiguration()
  configuration.captionModel = projectRoot + "/models/caption-attention"
  configuration.vqaModel = projectRoot + "/models/vqa-san"
  configure(&configuration)
  let service = try GlimpseService(configuration: configuration)
  defer { service.shutDown() }
  try await Application(router: makeServiceRouter(service)).test(.router, body)
}

/// POSTs `body` as `type` and returns the status and the JSON answer.
func post(_ client: any TestClientProtocol, _ uri: String, type: String, body: [UInt8]) async throws -> (
  HTTPResponse.Status, JSONValue
) {
  try await client.execute(
    uri: uri, method: .post, headers: [.contentType: type], body: ByteBuffer(bytes: body)
  ) { response in (response.status, try parseJSON(Array(String(buffer: response.body).utf8))) }
}

func expectError(
  _ client: any TestClientProtocol, _ uri: String, type: String?, body: [UInt8], _ status: HTTPResponse.Status,
  _ message: String, file: StaticString = #filePath, line: UInt = #line
) async throws {
  var headers = HTTPFields()
  if let type { headers[.contentType] = type }
  try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
    XCTAssertEqual(response.status, status, file: file, line: line)
    XCTAssertEqual(response.headers[.contentType], "application/json", file: file, line: line)
    XCTAssertEqual(
      String(buffer: response.body), JSONValue.object([("error", .string(message))]).text + "\n", file: file, line: line
    )
  }
}

/// A `multipart/form-data` body of `fields` (name, bytes, file name) and its Content-Type.
func multipartForm(_ fields: [(String, [UInt8], String?)]) -> (String, [UInt8]) {
  let boundary = "glimpse-test-boundary"
  var body = [UInt8]()
  for (name, data, filename) in fields {
    var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
    if let filename { head += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
    body += Array((head + "\r\n\r\n").utf8) + data + Array("\r\n".utf8)
  }
  body += Array("--\(boundary)--\r\n".utf8)
  return ("multipart/form-data; boundary=\(boundary)", body)
}

func base64(_ bytes: [UInt8]) -> String {
  let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  var out = ""
  for chunk in stride(from: 0, to: bytes.count, by: 3) {
    let b = Array(bytes[chunk..<min(chunk + 3, bytes.count)]) + [0, 0]
    let n = UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2])
    let count = min(3, bytes.count - chunk)
    for k in 0..<4 { out.append(k <= count ? alphabet[Int((n >> (18 - 6 * UInt32(k))) & 63)] : "=") }
  }
  return out
}
