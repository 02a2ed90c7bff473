import XCTest

@testable import GlimpseServer

final class RequestParsingTests: XCTestCase {
  func testMultipartParts() throws {
    let body = Array(
      ("preamble\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
        + "Content-Type: image/png\r\n\r\nPNG\r\nBYTES\r\n--b\r\nContent-Disposition: form-data; name=q\r\n\r\n"
        + "what?\r\n--b--\r\nepilogue").utf8)
    let parts = try parseMultipart(body, boundary: "b")
    XCTAssertEqual(
      parts,
      [
        FormPart(name: "image", filename: "x.png", contentType: "image/png", data: Array("PNG\r\nBYTES".utf8)),
        FormPart(name: "q", filename: nil, contentType: nil, data: Array("what?".utf8)),
      ])
    XCTAssertEqual(multipartBoundary(contentType: "multipart/form-data; boundary=\"a b\""), "a b")
    XCTAssertNil(multipartBoundary(contentType: "multipart/form-data"))
  }

  func testMalformedMultipartIsRefused() {
    let cases: [(String, String)] = [
      ("no boundary at all", "the multipart body has no boundary 'b'"),
      ("--b\r\nContent-Disposition: form-data; name=x\r\n", "a multipart part's headers do not end"),
      ("--b\r\nContent-Disposition: form-data; name=x\r\n\r\nvalue", "the multipart body has no closing boundary"),
      ("--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--b--", "a multipart part has no name"),
      ("--b\r\nbroken header\r\n\r\nvalue\r\n--b--", "a multipart header has no colon"),
      ("--bX", "a multipart boundary is not followed by a line break"),
    ]
    for (body, message) in cases {
      XCTAssertThrowsError(try parseMultipart(Array(body.utf8), boundary: "b"), body) {
        XCTAssertEqual(($0 as? MultipartError)?.description, message)
      }
    }
  }

  func testBase64() {
    XCTAssertEqual(decodeBase64("aGVsbG8="), Array("hello".utf8))
    XCTAssertEqual(decodeBase64("aGVsbG8"), Array("hello".utf8))
    XCTAssertEqual(decodeBase64("data:image/png;base64,AAEC"), [0, 1, 2])
    XCTAssertEqual(decodeBase64(""), [])
    XCTAssertNil(decodeBase64("a"))
    XCTAssertNil(decodeBase64("aGV*"))
  }
}
