import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class DepthwiseConvolutionTests: XCTestCase {
  /// TensorFlow's "same": ⌈in / stride⌉ outputs, the odd padding pixel after.
  func testSamePaddingPutsTheOddPixelAfter() {
    func padding(_ input: Int, _ kernel: Int, _ stride: Int) -> [Int] {
      let p = SamePadding(input: input, kernel: kernel, stride: stride)
      return [p.output, p.before]
    }
    XCTAssertEqual(padding(224, 3, 2), [112, 0])
    XCTAssertEqual(padding(56, 5, 2), [28, 1])
    XCTAssertEqual(padding(7, 5, 1), [7, 2])
    XCTAssertEqual(padding(7, 3, 2), [4, 1])
  }

  /// The fast kernel equals its plain twin on every kernel and stride of EfficientNet-Lite0, on
  /// even and odd sizes, for all channels and for a share of them.
  func testFastKernelEqualsThePlainLoop() {
    var random = SeededGenerator(seed: 5)
    for (kernel, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
      for (height, width) in [(14, 14), (7, 7), (9, 12), (1, 3), (2, 2), (112, 112), (28, 17)] {
        let s = DepthwiseShape(channels: 5, height: height, width: width, kernel: kernel, stride: stride)
        let input = randomTensor([5, height, width], &random, scale: 3)
        let filters = randomTensor([5, kernel * kernel], &random)
        let bias = randomTensor([5], &random)
        let plain = Tensor(zeros: [5, s.outHeight, s.outWidth])
        let fast = Tensor(zeros: [5, s.outHeight, s.outWidth])
        depthwiseConvolutionReLU6Plain(
          s, input: input.pointer, filters: filters.pointer, bias: bias.pointer, output: plain.pointer)
        fast.fill(.nan)
        let scratch = Tensor(zeros: [s.scratchCount])
        for channels in [0..<2, 2..<5] {
          scratch.fill(.nan)
          depthwiseConvolutionReLU6(
            s, input: input.pointer, filters: filters.pointer, bias: bias.pointer, output: fast.pointer,
            channels: channels, scratch: scratch.pointer)
        }
        let label = "k\(kernel) s\(stride) \(height)×\(width)"
        XCTAssertEqual(s.outHeight, (height + stride - 1) / stride, label)
        for i in 0..<plain.count { XCTAssertEqual(fast.pointer[i], plain.pointer[i], accuracy: 1e-5, label) }
        XCTAssertTrue((0..<plain.count).contains { plain.pointer[$0] > 0 && plain.pointer[$0] < 6 }, label)
      }
    }
  }

  /// One hand-computed case: a 3×3 box filter at stride 2 over a 4×4 ramp, padded after only.
  func testStrideTwoPadsAfterOnly() {
    let s = DepthwiseShape(channels: 1, height: 4, width: 4, kernel: 3, stride: 2)
    XCTAssertEqual([s.outHeight, s.outWidth, s.padTop, s.padLeft], [2, 2, 0, 0])
    let input = Tensor(shape: [1, 4, 4], values: (0..<16).map { Float($0) / 10 })
    let filters = Tensor(shape: [1, 9], values: [Float](repeating: 0.1, count: 9))
    let bias = Tensor(shape: [1], values: [0])
    let out = Tensor(zeros: [1, 2, 2])
    let scratch = Tensor(zeros: [s.scratchCount])
    depthwiseConvolutionReLU6(
      s, input: input.pointer, filters: filters.pointer, bias: bias.pointer, output: out.pointer, channels: 0..<1,
      scratch: scratch.pointer)
    // Top left: rows 0–2, columns 0–2; bottom right: rows 2–3, columns 2–3 (the rest is padding).
    let topLeft: Float = [0, 1, 2, 4, 5, 6, 8, 9, 10].reduce(0, +) / 100
    let bottomRight: Float = [10, 11, 14, 15].reduce(0, +) / 100
    XCTAssertEqual(out.pointer[0], topLeft, accuracy: 1e-6)
    XCTAssertEqual(out.pointer[3], bottomRight, accuracy: 1e-6)
  }
}
