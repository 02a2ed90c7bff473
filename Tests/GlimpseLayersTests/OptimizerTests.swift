import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class OptimizerTests: XCTestCase {
  /// Two Adam steps against PyTorch's update written out in double precision.
  func testAdamMatchesPyTorchsFormula() {
    let parameter = Tensor(shape: [3], values: [0.5, -1, 2])
    let gradients: [[Float]] = [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.0]]
    var adam = Adam(parameters: [parameter], learningRate: 0.01)
    var (p, m, v) = ([0.5, -1.0, 2.0], [0.0, 0, 0], [0.0, 0, 0])
    for (t, g) in gradients.enumerated() {
      adam.update(parameters: [parameter], gradients: [Tensor(shape: [3], values: g)])
      let step = Double(t + 1)
      for i in 0..<3 {
        m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
        v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
        let denominator = v[i].squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8
        p[i] -= 0.01 / (1 - pow(0.9, step)) * m[i] / denominator
      }
    }
    for i in 0..<3 { XCTAssertEqual(Double(parameter.pointer[i]), p[i], accuracy: 1e-6) }
    XCTAssertEqual(adam.step, 2)
  }

  /// Adam's eight-lane loop (two halves of 16 elements, one per core) gives the bits of its
  /// one-element loop (sixteen tensors of one element), over three steps.
  func testAdamLanesEqualOneElementAtATime() {
    var random = SeededGenerator(seed: 3)
    let start = (0..<16).map { _ in random.nextSymmetric(1) }
    let whole = Tensor(shape: [16], values: start)
    let singles = start.map { Tensor(shape: [1], values: [$0]) }
    var (lanes, oneByOne) = (
      Adam(parameters: [whole], learningRate: 0.01), Adam(parameters: singles, learningRate: 0.01)
    )
    for _ in 0..<3 {
      let g = (0..<16).map { _ in random.nextSymmetric(0.5) }
      lanes.update(parameters: [whole], gradients: [Tensor(shape: [16], values: g)])
      oneByOne.update(parameters: singles, gradients: g.map { Tensor(shape: [1], values: [$0]) })
    }
    XCTAssertNotEqual(whole.values, start)
    XCTAssertEqual(whole.values, singles.map { $0.pointer[0] })
  }

  func testSGDWithMomentum() {
    let parameter = Tensor(shape: [2], values: [1, 1])
    var sgd = SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9)
    sgd.update(parameters: [parameter], gradients: [Tensor(shape: [2], values: [1, -2])])
    XCTAssertEqual(parameter.values, [0.9, 1.2])
    sgd.update(parameters: [parameter], gradients: [Tensor(shape: [2], values: [1, -2])])
    // velocity = 0.9·g + g = 1.9·g
    XCTAssertEqual(parameter.pointer[0], 0.9 - 0.19, accuracy: 1e-6)
    XCTAssertEqual(parameter.pointer[1], 1.2 + 0.38, accuracy: 1e-6)
  }

  func testClippingScalesAllGradientsTogether() {
    let a = Tensor(shape: [2], values: [3, 0]), b = Tensor(shape: [1], values: [4])
    let norm = clipGradientNorm([a, b], maxNorm: 1)
    XCTAssertEqual(norm, 5)
    XCTAssertEqual(a.pointer[0], 0.6, accuracy: 1e-6)
    XCTAssertEqual(b.pointer[0], 0.8, accuracy: 1e-6)
    let small = Tensor(shape: [1], values: [0.5])
    clipGradientNorm([small], maxNorm: 1)
    XCTAssertEqual(small.pointer[0], 0.5, "below the limit nothing changes")
  }

  func testInitialisationIsSeededAndBounded() {
    var first = SeededGenerator(seed: 3), second = SeededGenerator(seed: 3)
    let conv = Tensor(zeros: [32, 3, 3, 3]), again = Tensor(zeros: [32, 3, 3, 3])
    initHeUniform(conv, random: &first)
    initHeUniform(again, random: &second)
    XCTAssertEqual(conv.values, again.values)
    let bound = (6 / Float(27)).squareRoot()
    XCTAssertTrue(conv.values.allSatisfy { abs($0) <= bound })
    XCTAssertGreaterThan(conv.values.map(abs).max()!, bound * 0.9, "fills the range")
    let linear = Tensor(zeros: [512, 256])
    initUniformFanIn(linear, random: &first)
    XCTAssertTrue(linear.values.allSatisfy { abs($0) <= 1 / 16 })
  }
}
