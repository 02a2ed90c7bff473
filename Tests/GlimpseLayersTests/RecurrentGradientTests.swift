import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class RecurrentGradientTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

  func testRNNStep() {
    let xProj = randomTensor([batch, hidden], &random), imageProj = randomTensor([batch, hidden], &random)
    let hPrev = randomTensor([batch, hidden], &random), whh = randomTensor([hidden, hidden], &random, scale: 0.5)
    let h = Tensor(zeros: [batch, hidden]), dpre = Tensor(zeros: [batch, hidden])
    let r = randomTensor(h.shape, &random)
    let (dx, dimage, dhPrev, dwhh) = (
      Tensor(zeros: xProj.shape), Tensor(zeros: imageProj.shape), Tensor(zeros: hPrev.shape), Tensor(zeros: whh.shape)
    )
    rnnStepForward(h: h, xProj: xProj, imageProj: imageProj, hPrev: hPrev, whh: whh)
    rnnStepBackward(
      dxProj: dx, dimageProj: dimage, dhPrev: dhPrev, dwhh: dwhh, dh: r, h: h, hPrev: hPrev, whh: whh, dpre: dpre)
    checkGradients(
      "rnn step",
      [("xProj", xProj, dx), ("imageProj", imageProj, dimage), ("hPrev", hPrev, dhPrev), ("Whh", whh, dwhh)]
    ) {
      rnnStepForward(h: h, xProj: xProj, imageProj: imageProj, hPrev: hPrev, whh: whh)
      return projection(h, r)
    }
  }

  func testLSTMStep() {
    let input = randomTensor([batch, 4 * hidden], &random)  // x·W_ihᵀ + biases
    let cPrev = randomTensor([batch, hidden], &random), hPrev = randomTensor([batch, hidden], &random)
    let whh = randomTensor([4 * hidden, hidden], &random, scale: 0.5)
    let gates = Tensor(zeros: input.shape), c = Tensor(zeros: [batch, hidden]), tanhC = Tensor(zeros: [batch, hidden]),
      h = Tensor(zeros: [batch, hidden])
    let (rh, rc) = (randomTensor(h.shape, &random), randomTensor(c.shape, &random))
    func forward() {
      gates.assign(input)
      lstmStepForward(gates: gates, c: c, tanhC: tanhC, h: h, cPrev: cPrev, hPrev: hPrev, whh: whh)
    }
    forward()
    let (dgates, dcPrev, dhPrev, dwhh) = (
      Tensor(zeros: gates.shape), Tensor(zeros: cPrev.shape), Tensor(zeros: hPrev.shape), Tensor(zeros: whh.shape)
    )
    // The loss reads h and c: dc = rc stands for the cell gradient arriving from step t + 1.
    lstmStepBackward(
      dgates: dgates, dcPrev: dcPrev, dhPrev: dhPrev, dwhh: dwhh, dh: rh, dc: rc,
      gates: gates, tanhC: tanhC, cPrev: cPrev, hPrev: hPrev, whh: whh)
    checkGradients(
      "lstm step",
      [("gate input", input, dgates), ("cPrev", cPrev, dcPrev), ("hPrev", hPrev, dhPrev), ("W_hh", whh, dwhh)]
    ) {
      forward()
      return projection(h, rh) + projection(c, rc)
    }
  }

  /// The GRU step: gradients of the input side (x·W_ihᵀ + b_ih), hPrev, W_hh and b_hh. W_hh's and
  /// b_hh's come from dhGates, as GRUDecoder makes them for all steps at once.
  func testGRUStep() {
    let input = randomTensor([batch, 3 * hidden], &random)
    let hPrev = randomTensor([batch, hidden], &random)
    let whh = randomTensor([3 * hidden, hidden], &random, scale: 0.5),
      bhh = randomTensor([3 * hidden], &random, scale: 0.5)
    let gates = Tensor(zeros: input.shape), hGates = Tensor(zeros: input.shape), h = Tensor(zeros: [batch, hidden])
    let rh = randomTensor(h.shape, &random)
    func forward() {
      gates.assign(input)
      gruStepForward(gates: gates, hGates: hGates, h: h, hPrev: hPrev, whh: whh, bhh: bhh)
    }
    forward()
    let (dgates, dhGates, dhPrev) = (Tensor(zeros: gates.shape), Tensor(zeros: gates.shape), Tensor(zeros: hPrev.shape))
    gruStepBackward(
      dgates: dgates, dhGates: dhGates, dhPrev: dhPrev, dh: rh, gates: gates, hGates: hGates, hPrev: hPrev, whh: whh)
    let (dwhh, dbhh) = (Tensor(zeros: whh.shape), Tensor(zeros: bhh.shape))
    gemm(
      transposeA: true, transposeB: false, m: 3 * hidden, n: hidden, k: batch, a: dhGates.pointer, lda: 3 * hidden,
      b: hPrev.pointer, ldb: hidden, beta: 0, c: dwhh.pointer, ldc: hidden)
    addRowSums(dhGates.pointer, rows: batch, columns: 3 * hidden, into: dbhh.pointer)
    checkGradients(
      "gru step", [("gate input", input, dgates), ("hPrev", hPrev, dhPrev), ("W_hh", whh, dwhh), ("b_hh", bhh, dbhh)]
    ) {
      forward()
      return projection(h, rh)
    }
  }

  func testSoftAttentionWithBetaGateAndPenaltyGradient() {
    let (locations, dim, attention) = (5, 4, 3)
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let hPrev = randomTensor([batch, hidden], &random)
    let wDec = randomTensor([attention, hidden], &random), wA = randomTensor([1, attention], &random)
    let wBeta = randomTensor([dim, hidden], &random), bBeta = randomTensor([dim], &random)
    let z = Tensor(zeros: [batch, dim]), alpha = Tensor(zeros: [batch, locations]), pre = Tensor(zeros: keys.shape)
    let context = Tensor(zeros: [batch, dim]), beta = Tensor(zeros: [batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    let (rz, ralpha) = (randomTensor(z.shape, &random), randomTensor(alpha.shape, &random))
    func forward() {
      softAttentionForward(
        z: z, alpha: alpha, pre: pre, context: context, beta: beta, keys: keys, grid: grid, hPrev: hPrev,
        wDec: wDec, wA: wA, wBeta: wBeta, bBeta: bBeta, workspace: workspace)
    }
    forward()
    for b in 0..<batch { XCTAssertEqual(alpha.slice(b).values.reduce(0, +), 1, accuracy: 1e-5, "α sums to 1") }
    let grads = [keys, grid, hPrev, wDec, wA, wBeta, bBeta].map { Tensor(zeros: $0.shape) }
    softAttentionBackward(
      dkeys: grads[0], dgrid: grads[1], dhPrev: grads[2], dwDec: grads[3], dwA: grads[4], dwBeta: grads[5],
      dbBeta: grads[6],
      dz: rz, dalpha: ralpha, alpha: alpha, pre: pre, context: context, beta: beta, grid: grid, hPrev: hPrev,
      wDec: wDec, wA: wA, wBeta: wBeta, workspace: workspace,
      dcontext: Tensor(zeros: [batch, dim]), dbetaPre: Tensor(zeros: [batch, dim]))
    let names = ["keys", "grid", "hPrev", "W_dec", "w_a", "W_beta", "b_beta"]
    let tensors = [keys, grid, hPrev, wDec, wA, wBeta, bBeta]
    checkGradients("soft attention", (0..<7).map { (names[$0], tensors[$0], grads[$0]) }) {
      forward()
      return projection(z, rz) + projection(alpha, ralpha)
    }
  }

  func testStackedAttentionHop() {
    let (locations, dim, attention) = (5, 4, 3)
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let u = randomTensor([batch, dim], &random), wU = randomTensor([attention, dim], &random),
      wP = randomTensor([1, attention], &random)
    let uNext = Tensor(zeros: [batch, dim]), p = Tensor(zeros: [batch, locations]), pre = Tensor(zeros: keys.shape),
      context = Tensor(zeros: [batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    let r = randomTensor(uNext.shape, &random)
    func forward() {
      stackedAttentionHopForward(
        uNext: uNext, p: p, pre: pre, context: context, keys: keys, grid: grid, u: u, wU: wU, wP: wP,
        workspace: workspace)
    }
    forward()
    let grads = [keys, grid, u, wU, wP].map { Tensor(zeros: $0.shape) }
    stackedAttentionHopBackward(
      dkeys: grads[0], dgrid: grads[1], du: grads[2], dwU: grads[3], dwP: grads[4], duNext: r,
      p: p, pre: pre, grid: grid, u: u, wU: wU, wP: wP, workspace: workspace)
    checkGradients(
      "SAN hop",
      zip(["keys", "grid", "u", "W_U", "w_p"], zip([keys, grid, u, wU, wP], grads)).map { ($0, $1.0, $1.1) }
    ) {
      forward()
      return projection(uNext, r)
    }
  }

  /// The supervision's gradient reaching the hop's inputs through its weights: loss =
  /// Σ uNext · r + λ · supervision(p), with one row left unsupervised.
  func testStackedAttentionHopWithSupervision() {
    let (locations, dim, attention) = (6, 4, 3)
    let lambda: Float = 0.7
    let cells = [[1, 4], [], [0, 2, 5]]  // one per row of the batch of 3
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let u = randomTensor([batch, dim], &random), wU = randomTensor([attention, dim], &random),
      wP = randomTensor([1, attention], &random)
    let uNext = Tensor(zeros: [batch, dim]), p = Tensor(zeros: [batch, locations]), pre = Tensor(zeros: keys.shape),
      context = Tensor(zeros: [batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    let r = randomTensor(uNext.shape, &random)
    func forward() -> Double {
      stackedAttentionHopForward(
        uNext: uNext, p: p, pre: pre, context: context, keys: keys, grid: grid, u: u, wU: wU, wP: wP,
        workspace: workspace)
      return projection(uNext, r) + Double(lambda * attentionSupervisionForward(weights: p, cells: cells))
    }
    _ = forward()
    let grads = [keys, grid, u, wU, wP].map { Tensor(zeros: $0.shape) }
    let dp = Tensor(zeros: p.shape)
    attentionSupervisionBackward(dweights: dp, weights: p, cells: cells, scale: lambda)
    XCTAssertEqual(dp.slice(1).values, [Float](repeating: 0, count: locations), "an unsupervised row gets no gradient")
    stackedAttentionHopBackward(
      dkeys: grads[0], dgrid: grads[1], du: grads[2], dwU: grads[3], dwP: grads[4], duNext: r,
      p: p, pre: pre, grid: grid, u: u, wU: wU, wP: wP, workspace: workspace, dpExtra: dp)
    checkGradients(
      "SAN hop with supervision",
      zip(["keys", "grid", "u", "W_U", "w_p"], zip([keys, grid, u, wU, wP], grads)).map { ($0, $1.0, $1.1) }
    ) {
      forward()
    }
  }

  /// Three steps of soft attention: each step's backward adding its own weight gradients equals
  /// the steps' backward without them followed by softAttentionWeightGradients over all steps.
  func testSoftAttentionWeightGradientsOverStepsMatchPerStep() {
    let (locations, dim, attention, steps) = (5, 4, 3, 3)
    let grid = randomTensor([batch, locations, dim], &random),
      keys = randomTensor([batch, locations, attention], &random)
    let hs = randomTensor([steps, batch, hidden], &random)
    let wDec = randomTensor([attention, hidden], &random), wA = randomTensor([1, attention], &random)
    let wBeta = randomTensor([dim, hidden], &random), bBeta = randomTensor([dim], &random)
    let z = Tensor(zeros: [steps, batch, dim]), alpha = Tensor(zeros: [steps, batch, locations])
    let pre = Tensor(zeros: [steps, batch, locations, attention])
    let context = Tensor(zeros: [steps, batch, dim]), beta = Tensor(zeros: [steps, batch, dim])
    let workspace = AdditiveAttentionWorkspace(batch: batch, locations: locations, attention: attention)
    for t in 0..<steps {
      softAttentionForward(
        z: z.slice(t), alpha: alpha.slice(t), pre: pre.slice(t), context: context.slice(t), beta: beta.slice(t),
        keys: keys, grid: grid, hPrev: hs.slice(t), wDec: wDec, wA: wA, wBeta: wBeta, bBeta: bBeta, workspace: workspace
      )
    }
    let (dz, dalpha) = (randomTensor(z.shape, &random), randomTensor(alpha.shape, &random))
    let shapes = [keys, grid, hs, wDec, wA, wBeta, bBeta].map(\.shape)
    let perStep = shapes.map { Tensor(zeros: $0) }, overSteps = shapes.map { Tensor(zeros: $0) }
    let (dcontext, dbetaPre) = (Tensor(zeros: [steps, batch, dim]), Tensor(zeros: [steps, batch, dim]))
    let (dscore, dqueryProj) = (Tensor(zeros: [steps, batch, locations]), Tensor(zeros: [steps, batch, attention]))
    for t in 0..<steps {
      softAttentionBackward(
        dkeys: perStep[0], dgrid: perStep[1], dhPrev: perStep[2].slice(t), dwDec: perStep[3], dwA: perStep[4],
        dwBeta: perStep[5], dbBeta: perStep[6], dz: dz.slice(t), dalpha: dalpha.slice(t), alpha: alpha.slice(t),
        pre: pre.slice(t), context: context.slice(t), beta: beta.slice(t), grid: grid, hPrev: hs.slice(t),
        wDec: wDec, wA: wA, wBeta: wBeta, workspace: workspace,
        dcontext: Tensor(zeros: [batch, dim]), dbetaPre: Tensor(zeros: [batch, dim]))
      let stepWorkspace = AdditiveAttentionWorkspace(
        sharing: workspace, dweights: dscore.slice(t), dqueryProj: dqueryProj.slice(t))
      softAttentionBackward(
        dkeys: overSteps[0], dgrid: nil, dhPrev: overSteps[2].slice(t), dwDec: nil, dwA: nil,
        dwBeta: nil, dbBeta: nil, dz: dz.slice(t), dalpha: dalpha.slice(t), alpha: alpha.slice(t),
        pre: pre.slice(t), context: context.slice(t), beta: beta.slice(t), grid: grid, hPrev: hs.slice(t),
        wDec: wDec, wA: wA, wBeta: wBeta, workspace: stepWorkspace,
        dcontext: dcontext.slice(t), dbetaPre: dbetaPre.slice(t))
    }
    softAttentionWeightGradients(
      dgrid: overSteps[1], dwDec: overSteps[3], dwA: overSteps[4], dwBeta: overSteps[5], dbBeta: overSteps[6],
      dqueryProj: dqueryProj, dscore: dscore, dbetaPre: dbetaPre, dcontext: dcontext,
      alpha: alpha, pre: pre, hPrev: hs, steps: steps)
    for (name, (a, b)) in zip(["keys", "grid", "hPrev", "W_dec", "w_a", "W_beta", "b_beta"], zip(perStep, overSteps)) {
      let scale = a.values.map(abs).max()!
      XCTAssertGreaterThan(scale, 0, name)
      for i in 0..<a.count { XCTAssertEqual(a.pointer[i], b.pointer[i], accuracy: 1e-5 * scale, name) }
    }
  }
}
