import GlimpseTensor

/// out[B·C, H/2, W/2] = the maximum of each 2×2 block of inp[B·C, H, W] (H and W even).
public func maxPool2Forward(out: Tensor, inp: Tensor, planes: Int, height: Int, width: Int) {
  maxPool2Forward(out: out, inp: inp, planes: planes, height: height, width: width, rows: 0..<height / 2)
}

/// The same for output rows `rows` of every plane only.
public func maxPool2Forward(out: Tensor, inp: Tensor, planes: Int, height: Int, width: Int, rows: Range<Int>) {
  let (oh, ow) = (height / 2, width / 2)
  precondition(inp.count == planes * height * width && out.count == planes * oh * ow && rows.upperBound <= oh)
  for p in 0..<planes {
    let source = inp.pointer + p * height * width
    let target = out.pointer + p * oh * ow
    for y in rows {
      let top = source + 2 * y * width
      let bottom = top + width
      for x in 0..<ow {
        target[y * ow + x] = max(max(top[2 * x], top[2 * x + 1]), max(bottom[2 * x], bottom[2 * x + 1]))
      }
    }
  }
}

/// dinp += dout at the position of each block's maximum (the first, in reading order, on ties).
public func maxPool2Backward(dinp: Tensor, dout: Tensor, inp: Tensor, planes: Int, height: Int, width: Int) {
  let (oh, ow) = (height / 2, width / 2)
  for p in 0..<planes {
    let source = inp.pointer + p * height * width
    let gradient = dinp.pointer + p * height * width
    let incoming = dout.pointer + p * oh * ow
    for y in 0..<oh {
      for x in 0..<ow {
        let corner = 2 * y * width + 2 * x
        var best = corner
        if source[corner + 1] > source[best] { best = corner + 1 }
        if source[corner + width] > source[best] { best = corner + width }
        if source[corner + width + 1] > source[best] { best = corner + width + 1 }
        gradient[best] += incoming[y * ow + x]
      }
    }
  }
}

/// maxPool2Backward then ReLU's backward, for a pool whose input is a ReLU's output: each block's
/// maximum (the first in reading order on ties) gets dout where it is positive, and every other
/// element of dinp is set to 0 (dinp is overwritten, so it needs no zeroing first). Eight blocks at
/// a time, without branches; the scalar loop takes what is left of a row.
public func maxPool2ReLUBackward(dinp: Tensor, dout: Tensor, inp: Tensor, planes: Int, height: Int, width: Int) {
  let (oh, ow) = (height / 2, width / 2)
  precondition(inp.count == planes * height * width && dinp.count == inp.count && dout.count == planes * oh * ow)
  let zero = Lanes()
  for p in 0..<planes {
    let source = inp.pointer + p * height * width
    let gradient = dinp.pointer + p * height * width
    let incoming = dout.pointer + p * oh * ow
    for y in 0..<oh {
      let (top, bottom) = (source + 2 * y * width, source + (2 * y + 1) * width)
      let (gTop, gBottom) = (gradient + 2 * y * width, gradient + (2 * y + 1) * width)
      let row = incoming + y * ow
      var x = 0
      while x + 8 <= ow {
        let (upper, lower) = (loadPairs(top + 2 * x), loadPairs(bottom + 2 * x))
        let (a, b, c, d) = (upper.evenHalf, upper.oddHalf, lower.evenHalf, lower.oddHalf)
        var m = a  // the block maxima, by masked replaces (pointwiseMax is not inlined)
        m.replace(with: b, where: b .> m)
        m.replace(with: c, where: c .> m)
        m.replace(with: d, where: d .> m)
        var g = loadLanes(row + x)
        g.replace(with: zero, where: m .<= zero)
        let takeA = a .== m
        let takeB = (b .== m) .& .!takeA
        let takeC = (c .== m) .& .!(takeA .| takeB)
        let takeD = .!(takeA .| takeB .| takeC)
        var outUpper = LanePairs(), outLower = LanePairs()
        outUpper.evenHalf = zero.replacing(with: g, where: takeA)
        outUpper.oddHalf = zero.replacing(with: g, where: takeB)
        outLower.evenHalf = zero.replacing(with: g, where: takeC)
        outLower.oddHalf = zero.replacing(with: g, where: takeD)
        storePairs(outUpper, gTop + 2 * x)
        storePairs(outLower, gBottom + 2 * x)
        x += 8
      }
      while x < ow {
        let corner = 2 * x
        gTop[corner] = 0; gTop[corner + 1] = 0; gBottom[corner] = 0; gBottom[corner + 1] = 0
        var best = top + corner, target = gTop + corner
        if top[corner + 1] > best.pointee { (best, target) = (top + corner + 1, gTop + corner + 1) }
        if bottom[corner] > best.pointee { (best, target) = (bottom + corner, gBottom + corner) }
        if bottom[corner + 1] > best.pointee { (best, target) = (bottom + corner + 1, gBottom + corner + 1) }
        if best.pointee > 0 { target.pointee = row[x] }
        x += 1
      }
    }
  }
}
