import GlimpseCore
import GlimpseTensor

/// He-uniform for convolutions (ReLU follows): U(−√(6/fan_in), √(6/fan_in)), fan_in = C·K·K.
public func initHeUniform(_ weight: Tensor, random: inout SeededGenerator) {
  let fanIn = weight.count / weight.size(0)
  let bound = (6 / Float(fanIn)).squareRoot()
  for i in 0..<weight.count { weight.pointer[i] = random.nextSymmetric(bound) }
}

/// U(−1/√fan_in, 1/√fan_in), fan_in = the weight's last dimension: every Linear, LSTM and
/// embedding weight of the spec.
public func initUniformFanIn(_ weight: Tensor, random: inout SeededGenerator) {
  let fanIn = weight.size(weight.rank - 1)
  let bound = 1 / Float(fanIn).squareRoot()
  for i in 0..<weight.count { weight.pointer[i] = random.nextSymmetric(bound) }
}
