/// probs = softmax(logits) over one row of `count` logits, with the largest logit and the sum of
/// exp(logit − largest), so that log Σ exp(logits) = largest + log(sum): the cross-entropy reads
/// its loss from them without a second pass over the row. Eight lanes at a time; the sum's order
/// is the lanes', so it differs from a plain loop's in the last bits.
public func softmaxRow(_ logits: UnsafePointer<Float>, into probs: UnsafeMutablePointer<Float>, count: Int) -> (
  largest: Float, sum: Float
) {
  precondition(count > 0)
  let whole = count / 8 * 8
  var top = Lanes(repeating: -.infinity)
  var i = 0
  while i < whole {
    let x = UnsafeRawPointer(logits + i).loadUnaligned(as: Lanes.self)
    top.replace(with: x, where: x .> top)
    i += 8
  }
  var largest = top.max()
  for j in whole..<count where logits[j] > largest { largest = logits[j] }
  let shift = Lanes(repeating: largest)
  var sums = Lanes(repeating: 0)
  i = 0
  while i < whole {
    let e = expLanes(UnsafeRawPointer(logits + i).loadUnaligned(as: Lanes.self) - shift)
    UnsafeMutableRawPointer(probs + i).storeBytes(of: e, as: Lanes.self)
    sums += e
    i += 8
  }
  var sum = sums.sum()
  for j in whole..<count {
    probs[j] = fastExp(logits[j] - largest)
    sum += probs[j]
  }
  let scale = 1 / sum
  let scales = Lanes(repeating: scale)
  i = 0
  while i < whole {
    let p = UnsafeMutableRawPointer(probs + i)
    p.storeBytes(of: p.loadUnaligned(as: Lanes.self) * scales, as: Lanes.self)
    i += 8
  }
  for j in whole..<count { probs[j] *= scale }
  return (largest, sum)
}
