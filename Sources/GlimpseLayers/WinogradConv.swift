import GlimpseTensor

/// Winograd's F(2×2, 3×3) (Lavin and Gray, 2016) for 3×3 kernels with stride 1 and padding 1 on
/// images of even height and width: each 2×2 block of output comes from the 4×4 input tile
/// around it as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so one image costs 16 GEMMs of [O, C]·[C, T]
/// (T = H·W/4 tiles): 2.25× fewer multiply-adds than im2col's [O, 9C]·[9C, H·W].
///   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///   Aᵀ = [1 1 1 0; 0 1 −1 −1]
/// The result equals the convolution up to float rounding; conv2dNaive is its reference.
extension Conv2dShape {
  public var allowsWinograd: Bool {
    kernel == 3 && stride == 1 && padding == 1 && height % 2 == 0 && width % 2 == 0 && height >= 2 && width >= 2
  }
  var tiles: Int { (height / 2) * (width / 2) }
  /// Floats of the transformed filters [16, O, C].
  public var winogradFilterCount: Int { 16 * outChannels * inChannels }
  /// Images per group: each group's 16 GEMMs run over about 256 tiles, so that the small
  /// late layers (conv4 has 16 tiles an image) still make GEMMs wide enough to run well.
  var winogradGroup: Int { max(1, min(batch, 256 / tiles)) }
  /// Floats of the workspace: transformed input [16, C, G·T], products [16, O, G·T] for a group
  /// of G images, and for the input transform one channel's 2H rows of W + 2 and a row of zeros.
  public var winogradWorkspaceCount: Int {
    16 * (inChannels + outChannels) * winogradGroup * tiles + 2 * height * (width + 2) + width
  }
  /// The shape whose convolution is this one's input gradient: O channels in, C out, the
  /// kernels flipped (winogradFilters with `adjoint`).
  public var adjoint: Conv2dShape {
    Conv2dShape(
      batch: batch, inChannels: outChannels, height: height, width: width, outChannels: inChannels,
      kernel: kernel, stride: stride, padding: padding)
  }
}

/// filters[ξ, O, C] = (G g Gᵀ)[ξ] for each 3×3 kernel g = weight[o, c] (`shape` is the
/// convolution's). With `adjoint`, filters[ξ, C, O] from the kernels flipped in both axes: the
/// filters whose convolution of dout is dinp.
public func winogradFilters(_ weight: Tensor, into filters: Tensor, shape s: Conv2dShape, adjoint: Bool = false) {
  winogradFilters(weight, into: filters, shape: s, adjoint: adjoint, outputs: 0..<s.outChannels)
}

/// The same for the kernels of outputs `outputs` only, so that two threads can take a half each.
public func winogradFilters(
  _ weight: Tensor, into filters: Tensor, shape s: Conv2dShape, adjoint: Bool, outputs: Range<Int>
) {
  precondition(weight.count == s.outChannels * s.inChannels * 9 && filters.count >= s.winogradFilterCount)
  precondition(outputs.lowerBound >= 0 && outputs.upperBound <= s.outChannels)
  let plane = s.outChannels * s.inChannels
  for o in outputs {
    for c in 0..<s.inChannels {
      let source = weight.pointer + (o * s.inChannels + c) * 9
      var g = SIMD16<Float>()
      for k in 0..<9 { g[k] = source[adjoint ? 8 - k : k] }
      // G g: four rows of three, then (G g) Gᵀ: four columns of each row.
      var rows = SIMD16<Float>()
      for x in 0..<3 {
        let (a, b, c) = (g[x], g[3 + x], g[6 + x])
        rows[x] = a
        rows[3 + x] = 0.5 * (a + b + c)
        rows[6 + x] = 0.5 * (a - b + c)
        rows[9 + x] = c
      }
      let target = filters.pointer + (adjoint ? c * s.outChannels + o : o * s.inChannels + c)
      for r in 0..<4 {
        let (a, b, c) = (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2])
        target[(4 * r + 0) * plane] = a
        target[(4 * r + 1) * plane] = 0.5 * (a + b + c)
        target[(4 * r + 2) * plane] = 0.5 * (a - b + c)
        target[(4 * r + 3) * plane] = c
      }
    }
  }
}

/// out[B, O, H, W] = conv(inp, weight) + bias (or no bias), with `filters` from
/// winogradFilters, a group of images at a time; out is overwritten. `workspace` holds
/// `shape.winogradWorkspaceCount` floats.
public func conv2dWinogradForward(
  out: Tensor, inp: Tensor, filters: Tensor, bias: Tensor?, shape s: Conv2dShape, workspace: Tensor
) {
  precondition(s.allowsWinograd, "Winograd F(2×2, 3×3) needs a 3×3 kernel, stride 1, padding 1 and even sizes: \(s)")
  precondition(
    inp.count == s.batch * s.inChannels * s.height * s.width
      && out.count == s.batch * s.outChannels * s.height * s.width)
  precondition(workspace.count >= s.winogradWorkspaceCount && filters.count >= s.winogradFilterCount)
  let (c, o, t, h, w) = (s.inChannels, s.outChannels, s.tiles, s.height, s.width)
  let group = s.winogradGroup
  let columns = group * t
  let transformed = workspace.pointer  // [16, C, G·T]
  let products = transformed + 16 * c * columns  // [16, O, G·T]
  let rows = products + 16 * o * columns  // [8, W/2 + 1]
  for first in stride(from: 0, to: s.batch, by: group) {
    let count = min(group, s.batch - first)
    for j in 0..<count {
      winogradInput(
        inp.pointer + (first + j) * c * h * w, transformed + j * t, rowLength: columns, rows: rows,
        channels: c, height: h, width: w)
    }
    for xi in 0..<16 {
      gemm(
        transposeA: false, transposeB: false, m: o, n: count * t, k: c, a: filters.pointer + xi * o * c, lda: c,
        b: transformed + xi * c * columns, ldb: columns, beta: 0, c: products + xi * o * columns, ldc: columns)
    }
    for j in 0..<count {
      winogradOutput(
        products + j * t, out.pointer + (first + j) * o * h * w, rowLength: columns, bias: bias?.pointer,
        channels: o, height: h, width: w)
    }
  }
}

/// transformed[ξ, C, ·] = (Bᵀ d B)[ξ] for one image's 4×4 tiles d (zero outside the image), its
/// tiles at columns 0..<T of rows `rowLength` long, a channel at a time in two passes. Down: each
/// row of tiles' four input rows become the rows of Bᵀ d (d0 − d2, d1 + d2, d2 − d1, d1 − d3),
/// stored with a zero column on each side. Across: tile tx reads columns 2tx … 2tx + 3 of those
/// padded rows, split into even and odd columns, eight tiles at a time where `TileBlock` allows,
/// else one. The across pass reads what the down pass wrote a whole channel earlier, so its
/// loads never wait on those stores.
func winogradInput(
  _ image: UnsafePointer<Float>, _ transformed: UnsafeMutablePointer<Float>, rowLength: Int,
  rows: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int
) {
  let (down, across) = (height / 2, width / 2)
  let tiles = TileBlock(height: height, width: width)
  let padded = width + 2
  let plane = channels * rowLength
  let zeros = rows + 4 * down * padded  // a row of zeros for the rows above and below the image
  zeros.update(repeating: 0, count: width)
  for r in 0..<4 * down { rows[r * padded] = 0; rows[r * padded + width + 1] = 0 }
  for c in 0..<channels {
    let source = image + c * height * width
    for ty in 0..<down {
      let y = 2 * ty - 1
      let d0 = y >= 0 ? UnsafePointer(source + y * width) : UnsafePointer(zeros)
      let (d1, d2) = (source + (y + 1) * width, source + (y + 2) * width)
      let d3 = y + 3 < height ? UnsafePointer(source + (y + 3) * width) : UnsafePointer(zeros)
      let r0 = rows + 4 * ty * padded + 1
      let (r1, r2, r3) = (r0 + padded, r0 + 2 * padded, r0 + 3 * padded)
      var x = 0
      while x + 8 <= width {
        let (a, b, e, f) = (loadLanes(d0 + x), loadLanes(d1 + x), loadLanes(d2 + x), loadLanes(d3 + x))
        storeLanes(a - e, r0 + x)
        storeLanes(b + e, r1 + x)
        storeLanes(e - b, r2 + x)
        storeLanes(b - f, r3 + x)
        x += 8
      }
      while x < width {
        r0[x] = d0[x] - d2[x]
        r1[x] = d1[x] + d2[x]
        r2[x] = d2[x] - d1[x]
        r3[x] = d1[x] - d3[x]
        x += 1
      }
    }
    // (Bᵀ d) B across the rows: (c0 − c2, c1 + c2, c2 − c1, c1 − c3) of each tile's columns c0 … c3.
    var t = 0
    while t < tiles.count {
      let eight = tiles.eightFit(from: t)
      for i in 0..<4 {
        let p = rows + (4 * (t / across) + i) * padded + 2 * (t % across)
        let v0 = transformed + c * rowLength + 4 * i * plane + t
        let (v1, v2, v3) = (v0 + plane, v0 + 2 * plane, v0 + 3 * plane)
        if eight {
          let (left, right) = (tiles.pairs(p, nextRow: 4 * padded), tiles.pairs(p + 2, nextRow: 4 * padded))
          let (c0, c1, c2, c3) = (left.evenHalf, left.oddHalf, right.evenHalf, right.oddHalf)
          storeLanes(c0 - c2, v0)
          storeLanes(c1 + c2, v1)
          storeLanes(c2 - c1, v2)
          storeLanes(c1 - c3, v3)
        } else {
          let (c0, c1, c2, c3) = (p[0], p[1], p[2], p[3])
          v0[0] = c0 - c2
          v1[0] = c1 + c2
          v2[0] = c2 - c1
          v3[0] = c1 - c3
        }
      }
      t += eight ? 8 : 1
    }
  }
}

/// out[O, H, W] = Aᵀ m A (+ bias) for one image's tiles m = products[ξ, o, 0..<T] (rows
/// `rowLength` long), eight tiles at a time where `TileBlock` allows, else one.
func winogradOutput(
  _ products: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rowLength: Int,
  bias: UnsafePointer<Float>?, channels: Int, height: Int, width: Int
) {
  let tiles = TileBlock(height: height, width: width)
  let plane = channels * rowLength
  for o in 0..<channels {
    let shift = bias?[o] ?? 0
    let m = products + o * rowLength
    let image = out + o * height * width
    var t = 0
    while t < tiles.count {
      let corner = image + tiles.corner(t)
      if tiles.eightFit(from: t) {
        // Aᵀ m: s0 = rows 0 + 1 + 2, s1 = rows 1 − 2 − 3, per column j; then across the columns.
        let (a0, a1, a2, a3) = (
          loadLanes(m + t), loadLanes(m + plane + t), loadLanes(m + 2 * plane + t), loadLanes(m + 3 * plane + t)
        )
        let (b0, b1, b2, b3) = (
          loadLanes(m + 4 * plane + t), loadLanes(m + 5 * plane + t), loadLanes(m + 6 * plane + t),
          loadLanes(m + 7 * plane + t)
        )
        let (c0, c1, c2, c3) = (
          loadLanes(m + 8 * plane + t), loadLanes(m + 9 * plane + t), loadLanes(m + 10 * plane + t),
          loadLanes(m + 11 * plane + t)
        )
        let (d0, d1, d2, d3) = (
          loadLanes(m + 12 * plane + t), loadLanes(m + 13 * plane + t), loadLanes(m + 14 * plane + t),
          loadLanes(m + 15 * plane + t)
        )
        let (u0, u1, u2, u3) = (a0 + b0 + c0, a1 + b1 + c1, a2 + b2 + c2, a3 + b3 + c3)
        let (w0, w1, w2, w3) = (b0 - c0 - d0, b1 - c1 - d1, b2 - c2 - d2, b3 - c3 - d3)
        var upper = LanePairs(), lower = LanePairs()
        upper.evenHalf = shift + u0 + u1 + u2
        upper.oddHalf = shift + u1 - u2 - u3
        lower.evenHalf = shift + w0 + w1 + w2
        lower.oddHalf = shift + w1 - w2 - w3
        tiles.store(upper, lower, corner)
        t += 8
      } else {
        var s0 = SIMD4<Float>(), s1 = SIMD4<Float>()
        for j in 0..<4 {
          let (m0, m1, m2, m3) = (
            m[j * plane + t], m[(4 + j) * plane + t], m[(8 + j) * plane + t], m[(12 + j) * plane + t]
          )
          s0[j] = m0 + m1 + m2
          s1[j] = m1 - m2 - m3
        }
        corner[0] = shift + s0[0] + s0[1] + s0[2]
        corner[1] = shift + s0[1] - s0[2] - s0[3]
        corner[width] = shift + s1[0] + s1[1] + s1[2]
        corner[width + 1] = shift + s1[1] - s1[2] - s1[3]
        t += 1
      }
    }
  }
}

/// An image's 2×2 output blocks as tiles t = ty·(W/2) + tx, numbered as the transformed rows
/// hold them, and how eight consecutive tiles map to the image: along one row of tiles, or,
/// in an image four tiles wide (conv4's 8×8), two rows of four.
struct TileBlock {
  let across: Int, width: Int, count: Int
  init(height: Int, width: Int) { (across, self.width, count) = (width / 2, width, (height / 2) * (width / 2)) }
  /// Offset of tile t's top-left pixel.
  func corner(_ t: Int) -> Int { 2 * (t / across) * width + 2 * (t % across) }
  func eightFit(from t: Int) -> Bool {
    guard t + 8 <= count else { return false }
    return t % across + 8 <= across || (across == 4 && t % 8 == 0)
  }
  /// Sixteen floats for eight tiles from `p`: in a row `nextRow` floats ahead for the second
  /// four when the tiles take two rows.
  @inline(__always) func pairs(_ p: UnsafePointer<Float>, nextRow: Int) -> LanePairs {
    across != 4 ? loadPairs(p) : LanePairs(lowHalf: loadLanes(p), highHalf: loadLanes(p + nextRow))
  }
  /// The two pixel rows of eight tiles from `corner`, each as interleaved (left, right) pairs.
  @inline(__always) func load(_ corner: UnsafePointer<Float>) -> (upper: LanePairs, lower: LanePairs) {
    (pairs(corner, nextRow: 2 * width), pairs(corner + width, nextRow: 2 * width))
  }
  @inline(__always) func store(_ upper: LanePairs, _ lower: LanePairs, _ corner: UnsafeMutablePointer<Float>) {
    if across != 4 {
      storePairs(upper, corner); storePairs(lower, corner + width)
      return
    }
    storeLanes(upper.lowHalf, corner); storeLanes(lower.lowHalf, corner + width)
    storeLanes(upper.highHalf, corner + 2 * width); storeLanes(lower.highHalf, corner + 3 * width)
  }
}

/// The backward pass of the Winograd convolution, mirroring conv2dBackward: dbias += Σ dout;
/// dweight += Gᵀ[Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)]G, the 16 sums as GEMMs over each group's tiles;
/// dinp = the convolution of dout with the flipped kernels (`adjointFilters`, overwritten, not
/// added). `sums` holds `shape.winogradFilterCount` floats; `workspace` as for the forward pass.
public func conv2dWinogradBackward(
  dinp: Tensor?, dweight: Tensor, dbias: Tensor, dout: Tensor, inp: Tensor, adjointFilters: Tensor,
  shape s: Conv2dShape, workspace: Tensor, sums: Tensor
) {
  precondition(s.allowsWinograd && workspace.count >= s.winogradWorkspaceCount && sums.count >= s.winogradFilterCount)
  let (c, o, t, h, w) = (s.inChannels, s.outChannels, s.tiles, s.height, s.width)
  let spatial = h * w
  addBiasGradient(dbias, dout: dout, batch: s.batch, channels: o, spatial: spatial)
  let group = s.winogradGroup
  let columns = group * t
  let transformed = workspace.pointer  // [16, C, G·T]
  let dproducts = transformed + 16 * c * columns  // [16, O, G·T]
  let rows = dproducts + 16 * o * columns
  sums.pointer.update(repeating: 0, count: s.winogradFilterCount)
  for first in stride(from: 0, to: s.batch, by: group) {
    let count = min(group, s.batch - first)
    for j in 0..<count {
      winogradInput(
        inp.pointer + (first + j) * c * spatial, transformed + j * t, rowLength: columns, rows: rows,
        channels: c, height: h, width: w)
      winogradOutputAdjoint(
        dout.pointer + (first + j) * o * spatial, dproducts + j * t, rowLength: columns,
        channels: o, height: h, width: w)
    }
    for xi in 0..<16 {
      gemm(
        transposeA: false, transposeB: true, m: o, n: c, k: count * t, a: dproducts + xi * o * columns, lda: columns,
        b: transformed + xi * c * columns, ldb: columns, beta: 1, c: sums.pointer + xi * o * c, ldc: c)
    }
  }
  winogradFiltersAdjoint(sums, into: dweight, shape: s)
  if let dinp {
    conv2dWinogradForward(
      out: dinp, inp: dout, filters: adjointFilters, bias: nil, shape: s.adjoint, workspace: workspace)
  }
}

/// dproducts[ξ, o, ·] = (A dy Aᵀ)[ξ] for each 2×2 block dy of one image's dout[O, H, W]: the
/// adjoint of winogradOutput (each row (a, b) of A dy becomes (a, a + b, a − b, −b)).
func winogradOutputAdjoint(
  _ dout: UnsafePointer<Float>, _ dproducts: UnsafeMutablePointer<Float>, rowLength: Int,
  channels: Int, height: Int, width: Int
) {
  let tiles = TileBlock(height: height, width: width)
  let plane = channels * rowLength
  for o in 0..<channels {
    let image = dout + o * height * width
    let m = dproducts + o * rowLength
    var t = 0
    while t < tiles.count {
      let corner = image + tiles.corner(t)
      if tiles.eightFit(from: t) {
        func emit(_ row: Int, _ a: Lanes, _ b: Lanes) {
          let target = m + 4 * row * plane + t
          storeLanes(a, target)
          storeLanes(a + b, target + plane)
          storeLanes(a - b, target + 2 * plane)
          storeLanes(-b, target + 3 * plane)
        }
        let (upper, lower) = tiles.load(corner)
        let (y00, y01, y10, y11) = (upper.evenHalf, upper.oddHalf, lower.evenHalf, lower.oddHalf)
        // A dy: rows (y0, y0 + y1, y0 − y1, −y1) of the block's two rows.
        emit(0, y00, y01)
        emit(1, y00 + y10, y01 + y11)
        emit(2, y00 - y10, y01 - y11)
        emit(3, -y10, -y11)
        t += 8
      } else {
        func emitOne(_ row: Int, _ a: Float, _ b: Float) {
          let target = m + 4 * row * plane + t
          target[0] = a
          target[plane] = a + b
          target[2 * plane] = a - b
          target[3 * plane] = -b
        }
        let (y00, y01, y10, y11) = (corner[0], corner[1], corner[width], corner[width + 1])
        emitOne(0, y00, y01)
        emitOne(1, y00 + y10, y01 + y11)
        emitOne(2, y00 - y10, y01 - y11)
        emitOne(3, -y10, -y11)
        t += 1
      }
    }
  }
}

/// dweight[O, C, 3, 3] += Gᵀ sums[·, o, c] G: the adjoint of winogradFilters (each row
/// (a, b, c, d) of Gᵀ u becomes (a + ½b + ½c, ½b − ½c, ½b + ½c + d)).
func winogradFiltersAdjoint(_ sums: Tensor, into dweight: Tensor, shape s: Conv2dShape) {
  let plane = s.outChannels * s.inChannels
  for pair in 0..<plane {
    var u = SIMD16<Float>()
    for xi in 0..<16 { u[xi] = sums.pointer[xi * plane + pair] }
    // Gᵀ u: three rows of four.
    var q = SIMD16<Float>()
    for j in 0..<4 {
      let (u0, u1, u2, u3) = (u[j], u[4 + j], u[8 + j], u[12 + j])
      q[j] = u0 + 0.5 * (u1 + u2)
      q[4 + j] = 0.5 * (u1 - u2)
      q[8 + j] = 0.5 * (u1 + u2) + u3
    }
    let target = dweight.pointer + pair * 9
    for r in 0..<3 {
      let (a, b, c, d) = (q[4 * r], q[4 * r + 1], q[4 * r + 2], q[4 * r + 3])
      target[3 * r] += a + 0.5 * (b + c)
      target[3 * r + 1] += 0.5 * (b - c)
      target[3 * r + 2] += 0.5 * (b + c) + d
    }
  }
}
