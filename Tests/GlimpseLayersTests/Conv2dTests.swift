import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class Conv2dTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func conv(_ shape: Conv2dShape) {
    let inp = randomTensor([shape.batch, shape.inChannels, shape.height, shape.width], &random)
    let weight = randomTensor([shape.outChannels, shape.inChannels, shape.kernel, shape.kernel], &random, scale: 0.5)
    let bias = randomTensor([shape.outChannels], &random)
    let out = Tensor(zeros: [shape.batch, shape.outChannels, shape.outHeight, shape.outWidth])
    let columns = Tensor(zeros: [max(shape.columnsCount, 1)])
    let dcolumns = Tensor(zeros: [max(shape.columnsCount, 1)])
    let r = randomTensor(out.shape, &random)
    let (dinp, dweight, dbias) = (Tensor(zeros: inp.shape), Tensor(zeros: weight.shape), Tensor(zeros: bias.shape))
    conv2dForward(out: out, inp: inp, weight: weight, bias: bias, shape: shape, columns: columns)
    let reference = Tensor(zeros: out.shape)
    conv2dNaive(out: reference, inp: inp, weight: weight, bias: bias, shape: shape)
    for i in 0..<out.count { XCTAssertEqual(out.pointer[i], reference.pointer[i], accuracy: 1e-4) }
    conv2dBackward(
      dinp: dinp, dweight: dweight, dbias: dbias, dout: r, inp: inp, weight: weight, shape: shape,
      columns: columns, dcolumns: dcolumns)
    checkGradients(
      "conv2d k\(shape.kernel) s\(shape.stride) p\(shape.padding)",
      [("inp", inp, dinp), ("weight", weight, dweight), ("bias", bias, dbias)]
    ) {
      conv2dForward(out: out, inp: inp, weight: weight, bias: bias, shape: shape, columns: columns)
      return projection(out, r)
    }
  }

  func testConv2d3x3Padded() {
    conv(Conv2dShape(batch: 2, inChannels: 3, height: 6, width: 5, outChannels: 4, kernel: 3, padding: 1))
  }

  func testConv2dStrided() {
    conv(Conv2dShape(batch: 2, inChannels: 2, height: 7, width: 6, outChannels: 3, kernel: 3, stride: 2, padding: 1))
  }

  func testConv2dPointwise() {
    conv(Conv2dShape(batch: 2, inChannels: 5, height: 3, width: 3, outChannels: 4, kernel: 1))
  }
}
