import GlimpseTensor
import XCTest

final class TensorStorageTests: XCTestCase {
  /// Small and large buffers (the large ones mapped for huge pages on Linux) start as zeros, and
  /// the large ones start on a 2 MiB boundary; a buffer made after one is freed starts as zeros
  /// again.
  func testBuffersStartZeroedAndLargeOnesAligned() {
    for count in [1, 1000, (1 << 19) - 1, 1 << 19, 3_000_001] {
      for _ in 0..<2 {
        let tensor = Tensor(zeros: [count])
        XCTAssertTrue(tensor.buffer.allSatisfy { $0 == 0 }, "\(count) floats")
        #if os(Linux)
        if count * 4 >= 1 << 21 { XCTAssertEqual(Int(bitPattern: tensor.pointer) % (1 << 21), 0, "\(count) floats") }
        #endif
        for i in stride(from: 0, to: count, by: 1021) { tensor.pointer[i] = Float(i) }
        for i in stride(from: 0, to: count, by: 1021) { XCTAssertEqual(tensor.pointer[i], Float(i)) }
      }
    }
  }
}
