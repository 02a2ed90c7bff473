import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class SoftAttentionTests: XCTestCase {
  var random = SeededGenerator(seed: 77)
  let (batch, hidden) = (3, 6)

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
