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
  /// of G images, and eight rows of W/2 + 1 for the input transform.
  public var winogradWorkspaceCount: Int { 16 * (inChannels + outChannels) * winogradGroup * tiles + 8 * (width / 2 + 1) }
  /// The shape whose convolution is this one's input gradient: O channels in, C out, the
  /// kernels flipped (winogradFilters with `adjoint`).
  public var adjoint: Conv2dShape {
    Conv2dShape(batch: batch, inChannels: outChannels, height: height, width: width, outChannels: inChannels,
                kernel: kernel, stride: stride, padding: padding)
  }
}

/// filters[ξ, O, C] = (G g Gᵀ)[ξ] for each 3×3 kernel g = weight[o, c] (`shape` is the
/// convolution's). With `adjoint`, filters[ξ, C, O] from the kernels flipped in both axes: the
/// filters whose convolution of dout is dinp.
public func winogradFilters(_ weight: Tensor, into filters: Tensor, shape s: Conv2dShape, adjoint: Bool = false) {
  precondition(weight.count == s.outChannels * s.inChannels * 9 && filters.count >= s.winogradFilterCount)
  let plane = s.outChannels * s.inChannels
  for o in 0..<s.outChannels {
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
public func conv2dWinogradForward(out: Tensor, inp: Tensor, filters: Tensor, bias: Tensor?, shape s: Conv2dShape, workspace: Tensor) {
  precondition(s.allowsWinograd, "Winograd F(2×2, 3×3) needs a 3×3 kernel, stride 1, padding 1 and even sizes: \(s)")
  precondition(inp.count == s.batch * s.inChannels * s.height * s.width && out.count == s.batch * s.outChannels * s.height * s.width)
  precondition(workspace.count >= s.winogradWorkspaceCount && filters.count >= s.winogradFilterCount)
  let (c, o, t, h, w) = (s.inChannels, s.outChannels, s.tiles, s.height, s.width)
  let group = s.winogradGroup
  let columns = group * t
  let transformed = workspace.pointer              // [16, C, G·T]
  let products = transformed + 16 * c * columns    // [16, O, G·T]
  let rows = products + 16 * o * columns           // [8, W/2 + 1]
  for first in stride(from: 0, to: s.batch, by: group) {
    let count = min(group, s.batch - first)
    for j in 0..<count {
      winogradInput(inp.pointer + (first + j) * c * h * w, transformed + j * t, rowLength: columns, rows: rows,
                    channels: c, height: h, width: w)
    }
    for xi in 0..<16 {
      gemm(transposeA: false, transposeB: false, m: o, n: count * t, k: c, a: filters.pointer + xi * o * c, lda: c,
           b: transformed + xi * c * columns, ldb: columns, beta: 0, c: products + xi * o * columns, ldc: columns)
    }
    for j in 0..<count {
      winogradOutput(products + j * t, out.pointer + (first + j) * o * h * w, rowLength: columns, bias: bias?.pointer,
                     channels: o, height: h, width: w)
    }
  }
}

/// transformed[ξ, C, ·] = (Bᵀ d B)[ξ] for one image's 4×4 tiles d (zero outside the image), its
/// tiles at columns 0..<T of rows `rowLength` long, a row of tiles at a time: the four input rows
/// are split into even and odd columns (tile tx reads columns 2tx − 1 … 2tx + 2), combined down
/// the rows, then across, eight tiles at a time.
func winogradInput(_ image: UnsafePointer<Float>, _ transformed: UnsafeMutablePointer<Float>, rowLength: Int,
                   rows: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int) {
  let (down, across) = (height / 2, width / 2)
  let span = across + 1
  let plane = channels * rowLength
  // rows: even[0..<4] then odd[0..<4], each `span` long; even[i][k] = row i at column 2k − 1,
  // odd[i][k] = row i at column 2k.
  let (even, odd) = (rows, rows + 4 * span)
  for c in 0..<channels {
    let source = image + c * height * width
    for ty in 0..<down {
      for i in 0..<4 {
        let y = 2 * ty - 1 + i
        let (e, d) = (even + i * span, odd + i * span)
        guard y >= 0 && y < height else {
          e.update(repeating: 0, count: span); d.update(repeating: 0, count: span)
          continue
        }
        let line = source + y * width
        e[0] = 0
        var k = 0
        while k + 8 <= across {
          let pair = loadPairs(line + 2 * k)
          storeLanes(pair.evenHalf, d + k)
          storeLanes(pair.oddHalf, e + k + 1)
          k += 8
        }
        while k < across { d[k] = line[2 * k]; e[k + 1] = line[2 * k + 1]; k += 1 }
        d[across] = 0
      }
      // Bᵀ d, in place on each of the even and odd halves: rows (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
      for half in 0..<2 {
        let r0 = rows + half * 4 * span
        let (r1, r2, r3) = (r0 + span, r0 + 2 * span, r0 + 3 * span)
        for k in 0..<span {
          let (d0, d1, d2, d3) = (r0[k], r1[k], r2[k], r3[k])
          r0[k] = d0 - d2
          r1[k] = d1 + d2
          r2[k] = d2 - d1
          r3[k] = d1 - d3
        }
      }
      // (Bᵀ d) B across each row: columns (e[tx] − e[tx+1], o[tx] + e[tx+1], e[tx+1] − o[tx], o[tx] − o[tx+1]).
      let base = transformed + c * rowLength + ty * across
      for i in 0..<4 {
        let (e, d) = (even + i * span, odd + i * span)
        let v0 = base + 4 * i * plane
        let (v1, v2, v3) = (v0 + plane, v0 + 2 * plane, v0 + 3 * plane)
        var tx = 0
        while tx + 8 <= across {
          let (e0, e1, d0, d1) = (loadLanes(e + tx), loadLanes(e + tx + 1), loadLanes(d + tx), loadLanes(d + tx + 1))
          storeLanes(e0 - e1, v0 + tx)
          storeLanes(d0 + e1, v1 + tx)
          storeLanes(e1 - d0, v2 + tx)
          storeLanes(d0 - d1, v3 + tx)
          tx += 8
        }
        while tx < across {
          v0[tx] = e[tx] - e[tx + 1]
          v1[tx] = d[tx] + e[tx + 1]
          v2[tx] = e[tx + 1] - d[tx]
          v3[tx] = d[tx] - d[tx + 1]
          tx += 1
        }
      }
    }
  }
}

/// out[O, H, W] = Aᵀ m A (+ bias) for one image's tiles m = products[ξ, o, 0..<T] (rows
/// `rowLength` long), a row of tiles at a time, eight tiles at a time where the row allows.
func winogradOutput(_ products: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rowLength: Int,
                    bias: UnsafePointer<Float>?, channels: Int, height: Int, width: Int) {
  let (down, across) = (height / 2, width / 2)
  let plane = channels * rowLength
  for o in 0..<channels {
    let shift = bias?[o] ?? 0
    for ty in 0..<down {
      let m = products + o * rowLength + ty * across
      let top = out + o * height * width + 2 * ty * width
      let bottom = top + width
      var tx = 0
      while tx + 8 <= across {
        // Aᵀ m: s0 = rows 0 + 1 + 2, s1 = rows 1 − 2 − 3, per column j; then across the columns.
        let (a0, a1, a2, a3) = (loadLanes(m + tx), loadLanes(m + plane + tx), loadLanes(m + 2 * plane + tx), loadLanes(m + 3 * plane + tx))
        let (b0, b1, b2, b3) = (loadLanes(m + 4 * plane + tx), loadLanes(m + 5 * plane + tx), loadLanes(m + 6 * plane + tx), loadLanes(m + 7 * plane + tx))
        let (c0, c1, c2, c3) = (loadLanes(m + 8 * plane + tx), loadLanes(m + 9 * plane + tx), loadLanes(m + 10 * plane + tx), loadLanes(m + 11 * plane + tx))
        let (d0, d1, d2, d3) = (loadLanes(m + 12 * plane + tx), loadLanes(m + 13 * plane + tx), loadLanes(m + 14 * plane + tx), loadLanes(m + 15 * plane + tx))
        let (u0, u1, u2, u3) = (a0 + b0 + c0, a1 + b1 + c1, a2 + b2 + c2, a3 + b3 + c3)
        let (w0, w1, w2, w3) = (b0 - c0 - d0, b1 - c1 - d1, b2 - c2 - d2, b3 - c3 - d3)
        var upper = LanePairs(), lower = LanePairs()
        upper.evenHalf = shift + u0 + u1 + u2
        upper.oddHalf = shift + u1 - u2 - u3
        lower.evenHalf = shift + w0 + w1 + w2
        lower.oddHalf = shift + w1 - w2 - w3
        storePairs(upper, top + 2 * tx)
        storePairs(lower, bottom + 2 * tx)
        tx += 8
      }
      while tx < across {
        var s0 = SIMD4<Float>(), s1 = SIMD4<Float>()
        for j in 0..<4 {
          let (m0, m1, m2, m3) = (m[j * plane + tx], m[(4 + j) * plane + tx], m[(8 + j) * plane + tx], m[(12 + j) * plane + tx])
          s0[j] = m0 + m1 + m2
          s1[j] = m1 - m2 - m3
        }
        top[2 * tx] = shift + s0[0] + s0[1] + s0[2]
        top[2 * tx + 1] = shift + s0[1] - s0[2] - s0[3]
        bottom[2 * tx] = shift + s1[0] + s1[1] + s1[2]
        bottom[2 * tx + 1] = shift + s1[1] - s1[2] - s1[3]
        tx += 1
      }
    }
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
  let transformed = workspace.pointer              // [16, C, G·T]
  let dproducts = transformed + 16 * c * columns   // [16, O, G·T]
  let rows = dproducts + 16 * o * columns
  sums.pointer.update(repeating: 0, count: s.winogradFilterCount)
  for first in stride(from: 0, to: s.batch, by: group) {
    let count = min(group, s.batch - first)
    for j in 0..<count {
      winogradInput(inp.pointer + (first + j) * c * spatial, transformed + j * t, rowLength: columns, rows: rows,
                    channels: c, height: h, width: w)
      winogradOutputAdjoint(dout.pointer + (first + j) * o * spatial, dproducts + j * t, rowLength: columns,
                            channels: o, height: h, width: w)
    }
    for xi in 0..<16 {
      gemm(transposeA: false, transposeB: true, m: o, n: c, k: count * t, a: dproducts + xi * o * columns, lda: columns,
           b: transformed + xi * c * columns, ldb: columns, beta: 1, c: sums.pointer + xi * o * c, ldc: c)
    }
  }
  winogradFiltersAdjoint(sums, into: dweight, shape: s)
  if let dinp {
    conv2dWinogradForward(out: dinp, inp: dout, filters: adjointFilters, bias: nil, shape: s.adjoint, workspace: workspace)
  }
}

/// dproducts[ξ, o, ·] = (A dy Aᵀ)[ξ] for each 2×2 block dy of one image's dout[O, H, W]: the
/// adjoint of winogradOutput (each row (a, b) of A dy becomes (a, a + b, a − b, −b)).
func winogradOutputAdjoint(_ dout: UnsafePointer<Float>, _ dproducts: UnsafeMutablePointer<Float>, rowLength: Int,
                           channels: Int, height: Int, width: Int) {
  let (down, across) = (height / 2, width / 2)
  let plane = channels * rowLength
  for o in 0..<channels {
    for ty in 0..<down {
      let top = dout + o * height * width + 2 * ty * width
      let bottom = top + width
      let m = dproducts + o * rowLength + ty * across
      var tx = 0
      func emit(_ row: Int, _ a: Lanes, _ b: Lanes) {
        let target = m + 4 * row * plane + tx
        storeLanes(a, target)
        storeLanes(a + b, target + plane)
        storeLanes(a - b, target + 2 * plane)
        storeLanes(-b, target + 3 * plane)
      }
      while tx + 8 <= across {
        let (upper, lower) = (loadPairs(top + 2 * tx), loadPairs(bottom + 2 * tx))
        let (y00, y01, y10, y11) = (upper.evenHalf, upper.oddHalf, lower.evenHalf, lower.oddHalf)
        // A dy: rows (y0, y0 + y1, y0 − y1, −y1) of the block's two rows.
        emit(0, y00, y01)
        emit(1, y00 + y10, y01 + y11)
        emit(2, y00 - y10, y01 - y11)
        emit(3, -y10, -y11)
        tx += 8
      }
      while tx < across {
        let (y00, y01, y10, y11) = (top[2 * tx], top[2 * tx + 1], bottom[2 * tx], bottom[2 * tx + 1])
        func emitOne(_ row: Int, _ a: Float, _ b: Float) {
          let target = m + 4 * row * plane + tx
          target[0] = a
          target[plane] = a + b
          target[2 * plane] = a - b
          target[3 * plane] = -b
        }
        emitOne(0, y00, y01)
        emitOne(1, y00 + y10, y01 + y11)
        emitOne(2, y00 - y10, y01 - y11)
        emitOne(3, -y10, -y11)
        tx += 1
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
