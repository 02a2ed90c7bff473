import GlimpseCore
import GlimpseLayers
import GlimpseTensor
import GlimpseTestSupport
import XCTest

final class GridTests: XCTestCase {
  var random = SeededGenerator(seed: 2024)

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
}
