import GlimpseTensor
import XCTest

/// Central differences against analytic gradients. For each (name, tensor, gradient) it
/// perturbs up to `samples` elements of the tensor by ±ε, recomputes the loss, and measures
/// max |analytic − numeric| / max(max |numeric|, 1e-3): the error relative to the gradient's
/// own scale, which stays meaningful for elements whose gradient is near zero.
/// Float32 with ε = 1e-2 on inputs of order 1: the threshold is 1e-2.
func checkGradients(
  _ op: String, _ checks: [(String, Tensor, Tensor)], epsilon: Float = 1e-2, samples: Int = 48,
  threshold: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line, loss: () -> Double
) {
  var worstOverall: Float = 0
  var random = SeededGenerator(seed: 99)
  for (name, tensor, gradient) in checks {
    let indices = tensor.count <= samples
      ? Array(0..<tensor.count)
      : (0..<samples).map { _ in Int(random.next() % UInt64(tensor.count)) }
    var worstDifference: Float = 0
    var scale: Float = 1e-3
    for index in indices {
      let saved = tensor.pointer[index]
      tensor.pointer[index] = saved + epsilon
      let plus = loss()
      tensor.pointer[index] = saved - epsilon
      let minus = loss()
      tensor.pointer[index] = saved
      let numeric = Float((plus - minus) / Double(2 * epsilon))
      worstDifference = max(worstDifference, abs(numeric - gradient.pointer[index]))
      scale = max(scale, abs(numeric))
    }
    let error = worstDifference / scale
    worstOverall = max(worstOverall, error)
    XCTAssertLessThan(error, threshold, "\(op): gradient of \(name)", file: file, line: line)
  }
  print("gradcheck \(op): worst relative error \(worstOverall)")
}

/// A tensor of uniform values in [−scale, scale).
func randomTensor(_ shape: [Int], _ random: inout SeededGenerator, scale: Float = 1) -> Tensor {
  let t = Tensor(zeros: shape)
  for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(scale) }
  return t
}

/// Σ out · weights, in double: the scalar loss whose gradient with respect to `out` is `weights`.
func projection(_ out: Tensor, _ weights: Tensor) -> Double {
  var sum = 0.0
  for i in 0..<out.count { sum += Double(out.pointer[i]) * Double(weights.pointer[i]) }
  return sum
}
