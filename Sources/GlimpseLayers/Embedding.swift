import GlimpseCore
import GlimpseTensor

/// out[N, E] = table[ids[n], :].
public func embeddingForward(out: Tensor, ids: [Int32], table: Tensor) {
  let e = table.size(1)
  precondition(out.count == ids.count * e)
  for (n, id) in ids.enumerated() {
    precondition(id >= 0 && Int(id) < table.size(0), "token id \(id) outside the vocabulary")
    (out.pointer + n * e).update(from: table.pointer + Int(id) * e, count: e)
  }
}

/// dtable[ids[n], :] += dout[n, :], except for the `<pad>` row, which gets no gradient.
public func embeddingBackward(dtable: Tensor, dout: Tensor, ids: [Int32], padID: Int32 = SpecialToken.pad) {
  let e = dtable.size(1)
  for (n, id) in ids.enumerated() where id != padID {
    let target = dtable.pointer + Int(id) * e
    let source = dout.pointer + n * e
    for k in 0..<e { target[k] += source[k] }
  }
}
