import Foundation
import XCTest

/// The project root, found from this file's path: Tests/GlimpseTestSupport/ProjectPaths.swift.
public let projectRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

/// `../shared` beside the project root; tests that need it skip, saying so, when it is absent.
public func sharedFolder() throws -> String {
  let path = projectRoot + "/../shared"
  guard FileManager.default.fileExists(atPath: path + "/conformance") else {
    throw XCTSkip("../shared/conformance is not beside the project root (\(path)); skipping")
  }
  return path
}
