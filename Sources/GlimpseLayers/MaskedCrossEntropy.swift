import GlimpseCore
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Cross-entropy of logits[B, T, V] against targets[B·T] over real tokens only (target
/// `<pad>` = 0 adds nothing), summed over time and averaged over the batch. `probs` receives
/// the softmax, which the backward pass reads. Returns the loss.
public func maskedCrossEntropyForward(
  probs: Tensor, logits: Tensor, targets: [Int32], batch: Int, padID: Int32 = SpecialToken.pad
) -> Float {
  let rows = targets.count
  let v = logits.count / rows
  precondition(logits.count == rows * v && probs.count == logits.count)
  var total = 0.0
  for r in 0..<rows {
    let row = logits.pointer + r * v
    let (largest, sum) = softmaxRow(row, into: probs.pointer + r * v, count: v)
    let target = targets[r]
    guard target != padID else { continue }
    precondition(target >= 0 && Int(target) < v, "target \(target) outside \(v) classes")
    // −log softmax, from the logits, so a tiny probability still gives an exact loss.
    total += log(Double(sum)) + Double(largest) - Double(row[Int(target)])
  }
  return Float(total / Double(batch))
}

/// dlogits[B, T, V] += dloss · (probs − onehot(target)) / B at real tokens.
public func maskedCrossEntropyBackward(
  dlogits: Tensor, probs: Tensor, targets: [Int32], batch: Int, dloss: Float = 1, padID: Int32 = SpecialToken.pad
) {
  let rows = targets.count
  let v = probs.count / rows
  let scale = dloss / Float(batch)
  for r in 0..<rows where targets[r] != padID {
    let d = dlogits.pointer + r * v
    let p = probs.pointer + r * v
    for c in 0..<v { d[c] += scale * p[c] }
    d[Int(targets[r])] -= scale
  }
}
