@testable import GlimpseLayers
import GlimpseCore
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// Each optimised kernel against the plain version beside it, on shapes that reach both the
/// vector loop and the scalar remainder.
final class FastKernelTests: XCTestCase {
  var random = SeededGenerator(seed: 77)

  func testCol2imAddMatchesTheElementwiseLoop() {
    let shapes = [
      Conv2dShape(batch: 1, inChannels: 3, height: 7, width: 11, outChannels: 1, kernel: 3, padding: 1),
      Conv2dShape(batch: 1, inChannels: 2, height: 6, width: 5, outChannels: 1, kernel: 3),
      Conv2dShape(batch: 1, inChannels: 2, height: 5, width: 9, outChannels: 1, kernel: 5, padding: 2),
    ]
    for s in shapes {
      let columns = randomTensor([s.columnsCount], &random)
      let start = randomTensor([s.inChannels, s.height, s.width], &random)
      let (fast, plain) = (start.copy(), start.copy())
      col2imAdd(columns.pointer, fast.pointer, s)
      col2imAddNaive(columns.pointer, plain.pointer, s)
      XCTAssertEqual(fast.values, plain.values, "\(s)")
      XCTAssertNotEqual(fast.values, start.values)
    }
  }

  /// One image's layer in row halves (each with its own workspace, as two threads run them)
  /// gives what the whole-image convolution, ReLU and pool give.
  func testConvolutionAndPoolByRowsMatchTheWholeImage() {
    let shapes = [
      Conv2dShape(batch: 1, inChannels: 3, height: 8, width: 10, outChannels: 5, kernel: 3, padding: 1),
      Conv2dShape(batch: 1, inChannels: 4, height: 6, width: 6, outChannels: 7, kernel: 1),
    ]
    for s in shapes {
      let inp = randomTensor([s.inChannels, s.height, s.width], &random)
      let weight = randomTensor([s.outChannels, s.patch], &random), bias = randomTensor([s.outChannels], &random)
      let (oh, ow) = (s.outHeight, s.outWidth)
      let whole = Tensor(zeros: [s.outChannels, oh, ow]), wholePooled = Tensor(zeros: [s.outChannels, oh / 2, ow / 2])
      conv2dForward(
        out: whole, inp: inp, weight: weight, bias: bias, shape: s, columns: Tensor(zeros: [max(s.columnsCount, 1)]))
      reluForward(out: whole, inp: whole)
      maxPool2Forward(out: wholePooled, inp: whole, planes: s.outChannels, height: oh, width: ow)
      // every element written
      let halves = randomTensor(whole.shape, &random), pooled = randomTensor(wholePooled.shape, &random)
      for rows in [0..<2, 2..<oh] {
        conv2dReLUForward(
          out: halves, inp: inp, weight: weight, bias: bias, shape: s,
          columns: Tensor(zeros: [max(s.patch * rows.count * ow, 1)]), rows: rows)
        maxPool2Forward(
          out: pooled, inp: halves, planes: s.outChannels, height: oh, width: ow,
          rows: (rows.lowerBound / 2)..<(rows.upperBound / 2))
      }
      XCTAssertEqual(halves.values, whole.values, "\(s)")
      XCTAssertEqual(pooled.values, wholePooled.values, "\(s)")
      XCTAssertTrue(whole.values.contains(0) && whole.values.contains { $0 > 0 }, "ReLU has work to do")
    }
  }

  func testFusedPoolAndReLUBackwardMatchesThePoolThenTheMask() {
    // Small integers, half of them ≤ 0: many ties within a block and many blocks whose maximum is 0.
    let (planes, height, width) = (3, 6, 2 * 11)
    let values = (0..<(planes * height * width)).map { _ in max(Float(Int(random.next() % 5)) - 2, 0) }
    let inp = Tensor(shape: [planes, height, width], values: values)
    let dout = randomTensor([planes, height / 2, width / 2], &random)
    let expected = Tensor(zeros: inp.shape)
    maxPool2Backward(dinp: expected, dout: dout, inp: inp, planes: planes, height: height, width: width)
    reluMask(gradient: expected, out: inp)
    let fused = randomTensor(inp.shape, &random)  // overwritten, not added to
    maxPool2ReLUBackward(dinp: fused, dout: dout, inp: inp, planes: planes, height: height, width: width)
    XCTAssertEqual(fused.values, expected.values)
    XCTAssertGreaterThan(expected.values.filter { $0 != 0 }.count, 20)
  }

  func testReLUMaskIsTheBackwardInPlace() {
    let out = Tensor(shape: [9], values: [-1, 0, 2, 3, -0.5, 0, 7, 1e-30, -1e-30])
    let dout = randomTensor([9], &random)
    let expected = Tensor(zeros: [9])
    reluBackward(dinp: expected, dout: dout, out: out)
    reluMask(gradient: dout, out: out)
    XCTAssertEqual(dout.values, expected.values)
  }

  func testRowSumMatchesADoubleSum() {
    for count in [0, 1, 7, 8, 9, 64, 1000] {
      let row = randomTensor([max(count, 1)], &random)
      let exact = (0..<count).reduce(0.0) { $0 + Double(row.pointer[$1]) }
      XCTAssertEqual(
        Double(rowSum(row.pointer, count: count)), exact, accuracy: 1e-5 * Double(max(count, 1)), "count \(count)")
    }
  }

  /// Winograd F(2×2, 3×3) against the nested loops, forward and (through the flipped filters)
  /// the input gradient against conv2dBackward's, on shapes that reach the eight-tile loops, the
  /// four-tile step, the scalar remainder and groups of images.
  func testWinogradConvolutionMatchesTheNestedLoops() {
    let shapes = [
      Conv2dShape(batch: 3, inChannels: 3, height: 6, width: 20, outChannels: 5, kernel: 3, padding: 1),
      Conv2dShape(batch: 2, inChannels: 7, height: 2, width: 4, outChannels: 2, kernel: 3, padding: 1),
      Conv2dShape(batch: 1, inChannels: 4, height: 32, width: 32, outChannels: 3, kernel: 3, padding: 1),
      Conv2dShape(batch: 5, inChannels: 3, height: 8, width: 8, outChannels: 4, kernel: 3, padding: 1),
      Conv2dShape(batch: 2, inChannels: 2, height: 4, width: 26, outChannels: 3, kernel: 3, padding: 1),
    ]
    for s in shapes {
      XCTAssertTrue(s.allowsWinograd)
      let inp = randomTensor([s.batch, s.inChannels, s.height, s.width], &random)
      let weight = randomTensor([s.outChannels, s.inChannels, 3, 3], &random),
        bias = randomTensor([s.outChannels], &random)
      let out = Tensor(zeros: [s.batch, s.outChannels, s.height, s.width]), reference = Tensor(zeros: out.shape)
      let filters = Tensor(zeros: [s.winogradFilterCount])
      let workspace = Tensor(zeros: [max(s.winogradWorkspaceCount, s.adjoint.winogradWorkspaceCount)])
      winogradFilters(weight, into: filters, shape: s)
      conv2dWinogradForward(out: out, inp: inp, filters: filters, bias: bias, shape: s, workspace: workspace)
      conv2dNaive(out: reference, inp: inp, weight: weight, bias: bias, shape: s)
      let tolerance = 1e-5 * 9 * Float(s.inChannels)
      for i in 0..<out.count {
        XCTAssertEqual(out.pointer[i], reference.pointer[i], accuracy: tolerance, "\(s) at \(i)")
      }

      let dout = randomTensor(out.shape, &random)
      let expected = (Tensor(zeros: inp.shape), randomTensor(weight.shape, &random), randomTensor(bias.shape, &random))
      // dinp overwritten, the rest added to
      let found = (randomTensor(inp.shape, &random), expected.1.copy(), expected.2.copy())
      let columns = Tensor(zeros: [s.columnsCount]), dcolumns = Tensor(zeros: [s.columnsCount])
      conv2dBackward(
        dinp: expected.0, dweight: expected.1, dbias: expected.2, dout: dout,
        inp: inp, weight: weight, shape: s, columns: columns, dcolumns: dcolumns)
      winogradFilters(weight, into: filters, shape: s, adjoint: true)
      conv2dWinogradBackward(
        dinp: found.0, dweight: found.1, dbias: found.2, dout: dout, inp: inp, adjointFilters: filters,
        shape: s, workspace: workspace, sums: Tensor(zeros: [s.winogradFilterCount]))
      for (name, a, b) in [
        ("dinp", found.0, expected.0), ("dweight", found.1, expected.1), ("dbias", found.2, expected.2),
      ] {
        let scale = Float(s.batch * s.height * s.width / 4)  // the weight gradient sums over every tile
        for i in 0..<a.count {
          XCTAssertEqual(a.pointer[i], b.pointer[i], accuracy: tolerance * scale, "\(name) \(s) at \(i)")
        }
      }
    }
    XCTAssertFalse(
      Conv2dShape(batch: 1, inChannels: 1, height: 5, width: 4, outChannels: 1, kernel: 3, padding: 1).allowsWinograd)
    XCTAssertFalse(
      Conv2dShape(batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 3, stride: 2, padding: 1)
        .allowsWinograd)
  }
}
