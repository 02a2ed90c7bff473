import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class LayerGradientTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

  func testLinear() {
    let (inp, weight, bias) = (
      randomTensor([2, 3, 5], &random), randomTensor([4, 5], &random), randomTensor([4], &random)
    )
    let out = Tensor(zeros: [2, 3, 4])
    let r = randomTensor([2, 3, 4], &random)
    let (dinp, dweight, dbias) = (Tensor(zeros: inp.shape), Tensor(zeros: weight.shape), Tensor(zeros: bias.shape))
    linearForward(out: out, inp: inp, weight: weight, bias: bias)
    linearBackward(dinp: dinp, dweight: dweight, dbias: dbias, dout: r, inp: inp, weight: weight)
    checkGradients("linear", [("inp", inp, dinp), ("weight", weight, dweight), ("bias", bias, dbias)]) {
      linearForward(out: out, inp: inp, weight: weight, bias: bias)
      return projection(out, r)
    }
  }

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

  func testReLU() {
    // Inputs kept away from the kink at 0, where a central difference is meaningless.
    let inp = randomTensor([3, 7], &random)
    for i in 0..<inp.count where abs(inp.pointer[i]) < 0.05 { inp.pointer[i] += 0.1 }
    let out = Tensor(zeros: inp.shape), dinp = Tensor(zeros: inp.shape)
    let r = randomTensor(inp.shape, &random)
    reluForward(out: out, inp: inp)
    reluBackward(dinp: dinp, dout: r, out: out)
    checkGradients("relu", [("inp", inp, dinp)]) {
      reluForward(out: out, inp: inp)
      return projection(out, r)
    }
  }

  func testMaxPool2() {
    // Distinct values, far apart, so ±ε never changes which element is the maximum.
    let count = 2 * 3 * 4 * 6
    var order = Array(0..<count)
    order.shuffle(using: &random)
    let inp = Tensor(shape: [2, 3, 4, 6], values: order.map { Float($0) * 0.1 })
    let out = Tensor(zeros: [2, 3, 2, 3]), dinp = Tensor(zeros: inp.shape)
    let r = randomTensor(out.shape, &random)
    maxPool2Forward(out: out, inp: inp, planes: 6, height: 4, width: 6)
    maxPool2Backward(dinp: dinp, dout: r, inp: inp, planes: 6, height: 4, width: 6)
    checkGradients("maxpool2", [("inp", inp, dinp)]) {
      maxPool2Forward(out: out, inp: inp, planes: 6, height: 4, width: 6)
      return projection(out, r)
    }
  }

  func testGridAndMean() {
    let feature = randomTensor([2, 5, 4], &random)
    let grid = Tensor(zeros: [2, 4, 5]), mean = Tensor(zeros: [2, 5])
    let (rg, rm) = (randomTensor(grid.shape, &random), randomTensor(mean.shape, &random))
    let dfeature = Tensor(zeros: feature.shape)
    gridForward(grid: grid, mean: mean, featureMap: feature, batch: 2, channels: 5, locations: 4)
    XCTAssertEqual(grid.pointer[1 * 5 + 2], feature.pointer[2 * 4 + 1], "grid[b0, l1, d2] = feature[b0, d2, l1]")
    gridBackward(dfeatureMap: dfeature, dgrid: rg, dmean: rm, batch: 2, channels: 5, locations: 4)
    checkGradients("grid+mean", [("featureMap", feature, dfeature)]) {
      gridForward(grid: grid, mean: mean, featureMap: feature, batch: 2, channels: 5, locations: 4)
      return projection(grid, rg) + projection(mean, rm)
    }
  }

  func testEmbeddingPadRowGetsNoGradient() {
    let table = randomTensor([6, 3], &random)
    let ids: [Int32] = [1, 0, 4, 4, 0, 2]
    let out = Tensor(zeros: [6, 3]), dtable = Tensor(zeros: table.shape)
    let r = randomTensor(out.shape, &random)
    embeddingForward(out: out, ids: ids, table: table)
    embeddingBackward(dtable: dtable, dout: r, ids: ids)
    XCTAssertEqual(Array(dtable.values[0..<3]), [0, 0, 0], "<pad> row")
    XCTAssertEqual(dtable.pointer[4 * 3], r.pointer[2 * 3] + r.pointer[3 * 3], accuracy: 1e-6, "a repeated id sums")
    // Away from the pad row the gradient is exact: check rows 1 to 5 numerically.
    let rows = table.slice(1..<6), drows = dtable.slice(1..<6)
    checkGradients("embedding", [("table", rows, drows)]) {
      embeddingForward(out: out, ids: ids, table: table)
      return projection(out, r)
    }
  }

  func testTanhAndSigmoid() {
    let inp = randomTensor([3, 11], &random, scale: 2)
    let r = randomTensor(inp.shape, &random)
    let out = Tensor(zeros: inp.shape), dinp = Tensor(zeros: inp.shape)
    tanhForward(out: out, inp: inp)
    tanhBackward(dinp: dinp, dout: r, out: out)
    checkGradients("tanh", [("inp", inp, dinp)]) {
      tanhForward(out: out, inp: inp)
      return projection(out, r)
    }
    let dsig = Tensor(zeros: inp.shape)
    sigmoidForward(out: out, inp: inp)
    sigmoidBackward(dinp: dsig, dout: r, out: out)
    checkGradients("sigmoid", [("inp", inp, dsig)]) {
      sigmoidForward(out: out, inp: inp)
      return projection(out, r)
    }
  }

  func testDropout() {
    let inp = randomTensor([1000], &random)
    let (out, mask, dinp) = (Tensor(zeros: [1000]), Tensor(zeros: [1000]), Tensor(zeros: [1000]))
    var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
    dropoutForward(out: out, inp: inp, mask: mask, probability: 0.25, training: true, random: &first)
    let kept = mask.values.filter { $0 != 0 }
    XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
    XCTAssertEqual(Double(kept.count) / 1000, 0.75, accuracy: 0.05)
    let again = Tensor(zeros: [1000]), maskAgain = Tensor(zeros: [1000])
    dropoutForward(out: again, inp: inp, mask: maskAgain, probability: 0.25, training: true, random: &second)
    XCTAssertEqual(again.values, out.values, "same seed, same mask")
    let r = randomTensor([1000], &random)
    dropoutBackward(dinp: dinp, dout: r, mask: mask)
    for i in 0..<1000 { XCTAssertEqual(dinp.pointer[i], r.pointer[i] * mask.pointer[i]) }
    dropoutForward(out: again, inp: inp, mask: maskAgain, probability: 0.25, training: false, random: &second)
    XCTAssertEqual(again.values, inp.values, "evaluation is the identity")
  }

  func testMaskedCrossEntropy() {
    let (batch, steps, vocabulary) = (2, 3, 5)
    let logits = randomTensor([batch, steps, vocabulary], &random, scale: 2)
    let targets: [Int32] = [1, 4, 0, 2, 0, 0]  // zeros are <pad>
    let probs = Tensor(zeros: logits.shape), dlogits = Tensor(zeros: logits.shape)
    let loss = maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: batch)
    var expected = 0.0
    for (row, target) in targets.enumerated() where target != 0 {
      let values = (0..<vocabulary).map { Double(logits.pointer[row * vocabulary + $0]) }
      expected -= values[Int(target)] - log(values.map { exp($0) }.reduce(0, +))
    }
    XCTAssertEqual(Double(loss), expected / Double(batch), accuracy: 1e-5)
    maskedCrossEntropyBackward(dlogits: dlogits, probs: probs, targets: targets, batch: batch)
    XCTAssertEqual(Array(dlogits.values[10..<15]), [0, 0, 0, 0, 0], "a <pad> target gives no gradient")
    checkGradients("masked cross-entropy", [("logits", logits, dlogits)]) {
      Double(maskedCrossEntropyForward(probs: probs, logits: logits, targets: targets, batch: batch))
    }
  }

  func testAttentionSupervision() {
    let (batch, locations) = (3, 5)
    let weights = Tensor(zeros: [batch, locations])
    for i in 0..<weights.count { weights.pointer[i] = 0.05 + 0.2 * random.nextUnit() }
    let cells = [[0, 3], [], [4]]
    let loss = attentionSupervisionForward(weights: weights, cells: cells)
    let rows = [weights.pointer[0] + weights.pointer[3], weights.pointer[14]].map { -log(Double($0) + 1e-6) }
    XCTAssertEqual(
      Double(loss), rows.reduce(0, +) / Double(batch), accuracy: 1e-6,
      "the mean over all rows, unsupervised ones counting as 0")
    let dweights = Tensor(zeros: weights.shape)
    attentionSupervisionBackward(dweights: dweights, weights: weights, cells: cells, scale: 1)
    XCTAssertEqual(dweights.slice(1).values, [0, 0, 0, 0, 0], "a row without cells gets no gradient")
    XCTAssertEqual(dweights.pointer[1], 0, "a cell off the target gets no gradient")
    checkGradients("attention supervision", [("weights", weights, dweights)], epsilon: 1e-3) {
      Double(attentionSupervisionForward(weights: weights, cells: cells))
    }
  }
}
