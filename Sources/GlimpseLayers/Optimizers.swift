import CKernels
import Dispatch
import GlimpseCore
import GlimpseTensor

/// Adam as PyTorch computes it: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
public struct Adam {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public private(set) var step = 0
  /// First and second moments, one pair per parameter, in the order of `update`'s arrays.
  public let moments: [(m: Tensor, v: Tensor)]

  public init(
    parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
  ) {
    (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
    moments = parameters.map { (Tensor(zeros: $0.shape), Tensor(zeros: $0.shape)) }
  }

  /// Restores the step count, for resuming from a checkpoint whose moments were loaded.
  public mutating func restore(step: Int) { self.step = step }

  public mutating func update(parameters: [Tensor], gradients: [Tensor]) {
    precondition(parameters.count == moments.count && gradients.count == moments.count)
    step += 1
    let correction1 = 1 - Float(Double(beta1).power(step))
    let correction2Root = (1 - Float(Double(beta2).power(step))).squareRoot()
    let stepSize = learningRate / correction1
    let (beta1, beta2, epsilon, moments) = (beta1, beta2, epsilon, moments)
    // Each element's update is independent: the two halves of every tensor go to the two
    // cores, and the result does not depend on the split.
    DispatchQueue.concurrentPerform(iterations: Self.workers) { worker in
      for (index, parameter) in parameters.enumerated() {
        let (p, g) = (parameter.pointer, gradients[index].pointer)
        let (m, v) = (moments[index].m.pointer, moments[index].v.pointer)
        let range = contiguousShare(parameter.count, part: worker, of: Self.workers)
        var (i, end) = (range.lowerBound, range.upperBound)
        while i + 8 <= end {
          let gradient = loadLanes(g + i)
          let first = beta1 * loadLanes(m + i) + (1 - beta1) * gradient
          let second = beta2 * loadLanes(v + i) + (1 - beta2) * gradient * gradient
          storeLanes(first, m + i)
          storeLanes(second, v + i)
          storeLanes(loadLanes(p + i) - stepSize * first / (glimpse_sqrt8(second) / correction2Root + epsilon), p + i)
          i += 8
        }
        while i < end {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i]
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
          p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
          i += 1
        }
      }
    }
  }

  static var workers: Int { ExecutionCores.count }
}

/// SGD with momentum as PyTorch computes it: b ← μb + g (b = g at the first step); p ← p − lr·b.
public struct SGD {
  public var learningRate: Float
  public var momentum: Float
  public private(set) var step = 0
  public let velocities: [Tensor]

  public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0.9) {
    (self.learningRate, self.momentum) = (learningRate, momentum)
    velocities = parameters.map { Tensor(zeros: $0.shape) }
  }

  public mutating func update(parameters: [Tensor], gradients: [Tensor]) {
    for (index, parameter) in parameters.enumerated() {
      let (p, g, b) = (parameter.pointer, gradients[index].pointer, velocities[index].pointer)
      for i in 0..<parameter.count {
        b[i] = step == 0 ? g[i] : momentum * b[i] + g[i]
        p[i] -= learningRate * b[i]
      }
    }
    step += 1
  }
}

/// Scales all gradients together so their global L2 norm is at most `maxNorm`, as PyTorch's
/// clip_grad_norm_ does (factor maxNorm / (norm + 1e-6) when below 1). Returns the norm before.
/// Each tensor's two halves are summed apart, on the two cores where there are two, and the
/// sums added in tensor order: the same norm on any core count.
@discardableResult
public func clipGradientNorm(_ gradients: [Tensor], maxNorm: Float) -> Float {
  let halves = 2
  var sums = [Double](repeating: 0, count: halves * gradients.count)
  sums.withUnsafeMutableBufferPointer { sums in
    nonisolated(unsafe) let sums = sums
    DispatchQueue.concurrentPerform(iterations: halves) { half in
      for (index, gradient) in gradients.enumerated() {
        let range = contiguousShare(gradient.count, part: half, of: halves)
        sums[index * halves + half] = squaredSum(gradient.pointer, range)
      }
    }
  }
  let norm = Float(sums.reduce(0, +).squareRoot())
  let factor = maxNorm / (norm + 1e-6)
  if factor < 1 {
    DispatchQueue.concurrentPerform(iterations: halves) { half in
      for gradient in gradients {
        let g = gradient.pointer
        for i in contiguousShare(gradient.count, part: half, of: halves) { g[i] *= factor }
      }
    }
  }
  return norm
}

/// Σ g[i]² over `range`, in double precision, in four running sums so that the loop vectorises.
private func squaredSum(_ g: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Double {
  var lanes = SIMD4<Double>()
  var i = range.lowerBound
  while i + 4 <= range.upperBound {
    let x = SIMD4<Double>(Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]))
    lanes += x * x
    i += 4
  }
  while i < range.upperBound { lanes[0] += Double(g[i]) * Double(g[i]); i += 1 }
  return lanes.sum()
}

extension Double {
  func power(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= self }
    return result
  }
}
