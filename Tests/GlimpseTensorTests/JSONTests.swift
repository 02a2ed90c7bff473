import GlimpseIO
import XCTest

final class JSONTests: XCTestCase {
  func testParsesAndWritesBackInOrder() throws {
    let text = #"{"b":[1,2.5,-3e2,true,false,null],"a":{"s":"x\"y\\z\n\u00e9\ud83d\ude00"}}"#
    let value = try parseJSON(text)
    XCTAssertEqual(value["b"]?.array?.count, 6)
    XCTAssertEqual(value["a"]?["s"]?.string, "x\"y\\z\né😀")
    XCTAssertEqual(try parseJSON(value.text), value)
    XCTAssertEqual(value.text, #"{"b":[1,2.5,-300,true,false,null],"a":{"s":"x\"y\\z\né😀"}}"#)
  }

  func testErrorsSayWhereAndWhat() {
    let cases = [
      ("", "unexpected end of text at byte 0"),
      ("{\"a\":1,}", "expected a string key at byte 7"),
      ("[1 2]", "expected ',' or ']' at byte 3"),
      ("01", "invalid number '01' at byte 0"),
      ("\"abc", "unterminated string at byte 4"),
      ("{} x", "unexpected text after the JSON value at byte 3"),
      (String(repeating: "[", count: 600), "nested too deeply at byte 512"),
    ]
    for (text, message) in cases {
      XCTAssertThrowsError(try parseJSON(text), text) { XCTAssertEqual("\($0)", message, text) }
    }
  }
}

final class FixedPointTests: XCTestCase {
  func testRoundsToTheGivenPlaces() {
    XCTAssertEqual(fixedPoint(3.14159, 3), "3.142")
    XCTAssertEqual(fixedPoint(63.75, 1), "63.8")
    XCTAssertEqual(fixedPoint(2, 2), "2.00")
    XCTAssertEqual(fixedPoint(0.05, 1), "0.1")
    XCTAssertEqual(fixedPoint(-1.25, 1), "-1.3")
    XCTAssertEqual(fixedPoint(-0.01, 1), "0.0")
    XCTAssertEqual(fixedPoint(12.5, 0), "13")
    XCTAssertEqual(fixedPoint(0.007, 2), "0.01")
  }
}
