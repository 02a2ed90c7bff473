import GlimpseTensor

/// out[B·C, H/2, W/2] = the maximum of each 2×2 block of inp[B·C, H, W] (H and W even).
public func maxPool2Forward(out: Tensor, inp: Tensor, planes: Int, height: Int, width: Int) {
  let (oh, ow) = (height / 2, width / 2)
  precondition(inp.count == planes * height * width && out.count == planes * oh * ow)
  for p in 0..<planes {
    let source = inp.pointer + p * height * width
    let target = out.pointer + p * oh * ow
    for y in 0..<oh {
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
