import GlimpseCore
import GlimpseTensor
import XCTest

/// Central differences against analytic gradients. For each (name, tensor, gradient) it
/// perturbs up to `samples` elements of the tensor by ±ε, recomputes the loss, and measures
/// max |analytic − numeric| / max(max |numeric|, 1e-3): the error relative to the gradient's
/// own scale, which stays meaningful for elements whose gradient is near zero.
/// Float32 with ε = 1e-2 on inputs of order 1: the threshold is 1e-2.
public func checkGradients(
  _ op: String, _ checks: [(String, Tensor, Tensor)], epsilon: Float = 1e-2, samples: Int = 48,
  threshold: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line, loss: () -> Double
) {
  var worstOverall: Float = 0
  var random = SeededGenerator(seed: 99)
  for (name, tensor, gradient) in checks {
    let indices =
      tensor.count <= samples
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
public func randomTensor(_ shape: [Int], _ random: inout SeededGenerator, scale: Float = 1) -> Tensor {
  let t = Tensor(zeros: shape)
  for i in 0..<t.count { t.pointer[i] = random.nextSymmetric(scale) }
  return t
}

/// Σ out · weights, in double: the scalar loss whose gradient with respect to `out` is `weights`.
public func projection(_ out: Tensor, _ weights: Tensor) -> Double {
  var sum = 0.0
  for i in 0..<out.count { sum += Double(out.pointer[i]) * Double(weights.pointer[i]) }
  return sum
}

/// Directional central differences, for whole models in float32: each tensor is moved along a
/// random unit direction u (±1/√n in every element), and (L(θ + εu) − L(θ − εu)) / 2ε is
/// compared with Σ g·u. Summing over every element lifts the signal far above float32 rounding,
/// where single elements with tiny gradients would drown in it; a step of fixed length ε keeps
/// the truncation error alike for a bias and for a million-element matrix.
/// Error: |numeric − analytic| / max(|numeric|, |analytic|, 1e-6).
public func checkDirectionalGradients(
  _ op: String, _ checks: [(String, Tensor, Tensor)], epsilon: Float = 1e-3, threshold: Float = 1e-2,
  file: StaticString = #filePath, line: UInt = #line, loss: () -> Double
) {
  var random = SeededGenerator(seed: 123)
  var worst: Float = 0
  var report = [String]()
  for (name, tensor, gradient) in checks {
    let saved = tensor.copy()
    let unit = 1 / Float(tensor.count).squareRoot()
    let direction = (0..<tensor.count).map { _ in random.next() & 1 == 0 ? -unit : unit }
    var analytic = 0.0
    for i in 0..<tensor.count { analytic += Double(gradient.pointer[i]) * Double(direction[i]) }
    for i in 0..<tensor.count { tensor.pointer[i] = saved.pointer[i] + epsilon * direction[i] }
    let plus = loss()
    for i in 0..<tensor.count { tensor.pointer[i] = saved.pointer[i] - epsilon * direction[i] }
    let minus = loss()
    tensor.assign(saved)
    let numeric = (plus - minus) / Double(2 * epsilon)
    let error = Float(abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-6))
    worst = max(worst, error)
    report.append("\(name) \(error)")
    XCTAssertLessThan(
      error, threshold, "\(op): gradient of \(name) (numeric \(numeric), analytic \(analytic))", file: file, line: line)
  }
  print("gradcheck \(op): worst relative error \(worst) (directional)")
}
