import Foundation
import GlimpseTestSupport
import XCTest

/// `glimpse serve` as a process, spoken to over raw sockets the way hostile or slow clients
/// speak: each bad request gets its status and the server keeps answering /healthz; SIGTERM
/// lets a request in flight finish and exits 0.
final class ServeCommandTests: XCTestCase {
  func testHostileClientsAreRefusedAndTheServerStaysUp() throws {
    let server = try ServeProcess(["--body-timeout", "1", "--max-body-bytes", "100000", "--idle-timeout", "2"])
    defer { server.stop() }
    // A body that stops arriving: 408 once the body timeout passes.
    let drip = try RawConnection(port: server.port)
    try drip.send("POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n0123")
    let started = Date()
    let slow = try drip.response()
    XCTAssertTrue(slow.hasPrefix("HTTP/1.1 408"), slow)
    XCTAssertTrue(slow.hasSuffix("{\"error\":\"the request body did not arrive within 1 s\"}\n"), slow)
    XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    // A declared gigabyte: refused from its headers, before any of it is read.
    let huge = try RawConnection(port: server.port)
    try huge.send(
      "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000000000\r\n\r\n")
    let refused = try huge.response()
    XCTAssertTrue(refused.hasPrefix("HTTP/1.1 413"), refused)
    XCTAssertTrue(refused.contains("the request body is 1000000000 bytes; the limit is 100000 bytes"), refused)
    // A Content-Length smaller than the body: the declared bytes are the request, the rest is
    // not HTTP and the connection is closed.
    let liar = try RawConnection(port: server.port)
    try liar.send(
      "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\nabcd"
        + String(repeating: "z", count: 5000))
    let lied = try liar.response()
    XCTAssertTrue(lied.hasPrefix("HTTP/1.1 400"), lied)
    XCTAssertTrue(lied.contains("the image could not be decoded"), lied)
    // Headers that never end are cut off by the idle timeout.
    let silent = try RawConnection(port: server.port)
    try silent.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
    XCTAssertEqual(try silent.response(), "", "the connection is closed without an answer")
    let health = try RawConnection(port: server.port)
    try health.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    XCTAssertTrue(try health.response().hasSuffix("{\"status\":\"ok\"}\n"))
  }

  func testSIGTERMLetsTheRequestInFlightFinish() throws {
    let server = try ServeProcess(["--body-timeout", "10"])
    let png = try Data(contentsOf: URL(fileURLWithPath: projectRoot + "/datasets/sample/images/test_000001.png"))
    let client = try RawConnection(port: server.port)
    try client.send(
      "POST /v1/caption HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: \(png.count)\r\n"
        + "Connection: close\r\n\r\n")
    try client.send(Array(png.prefix(100)))
    Thread.sleep(forTimeInterval: 0.3)
    kill(server.process.processIdentifier, SIGTERM)
    Thread.sleep(forTimeInterval: 0.3)
    try client.send(Array(png.dropFirst(100)))
    let response = try client.response()
    XCTAssertTrue(response.hasPrefix("HTTP/1.1 200"), response)
    XCTAssertTrue(response.contains("\"caption\":\"three shapes small blue square"), response)
    server.process.waitUntilExit()
    XCTAssertEqual(server.process.terminationStatus, 0)
  }
}

/// `glimpse serve --port 0 …` on the shipped models, and the port it says it listens on.
final class ServeProcess {
  let process = Process()
  let port: Int

  init(_ arguments: [String]) throws {
    process.environment = childEnvironment()
    process.executableURL = URL(fileURLWithPath: glimpseBinary)
    process.arguments = ["serve", "--port", "0"] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: projectRoot)
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      line += chunk
    }
    let text = String(decoding: line, as: UTF8.self)
    guard let colon = text.lastIndex(of: ":"),
      let port = Int(text[text.index(after: colon)...].prefix { $0.isNumber })
    else { throw CLIRunnerError(description: "glimpse serve did not say where it listens: '\(text)'") }
    self.port = port
  }

  func stop() {
    if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    process.waitUntilExit()
  }
}

/// A TCP connection to 127.0.0.1 on plain sockets, so that a test can send what no HTTP
/// client would. `response` reads until the server closes or 10 s pass.
final class RawConnection {
  let socket: Int32

  init(port: Int) throws {
    socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw CLIRunnerError(description: "cannot connect to port \(port)") }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(socket) }

  func send(_ text: String) throws { try send(Array(text.utf8)) }

  func send(_ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard n > 0 else { throw CLIRunnerError(description: "send failed") }
      sent += n
    }
  }

  /// Everything the server sends until it closes (or a response with its whole
  /// Content-Length has arrived, for a connection kept alive).
  func response() throws -> String {
    var data = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = recv(socket, &buffer, buffer.count, 0)
      if n <= 0 { break }
      data += buffer[0..<n]
      let text = String(decoding: data, as: UTF8.self)
      if let end = text.range(of: "\r\n\r\n"),
        let line = text[..<end.lowerBound].split(separator: "\r\n").first(where: {
          $0.lowercased().hasPrefix("content-length:")
        }),
        let length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
        text.utf8.count - text[..<end.upperBound].utf8.count >= length
      {
        break
      }
    }
    return String(decoding: data, as: UTF8.self)
  }
}
