import GlimpseIO
import GlimpseImage
import GlimpseInference
import GlimpseModels
import GlimpseTensor
import GlimpseTestSupport
import XCTest

/// EfficientNet-Lite0 against the PyPI package it was converted from, on the fixtures of
/// scripts/make_photo_fixtures.py: the grid on identical input tensors, and the classifier's top 5.
final class PhotoEncoderTests: XCTestCase {
  let fixtures = projectRoot + "/Tests/GlimpseInferenceTests/Fixtures/photo"
  nonisolated(unsafe) static let encoder: PretrainedEncoder? = try? PretrainedEncoder.load(
    folder: projectRoot + "/models/efficientnet-lite0")

  func loadedEncoder() throws -> PretrainedEncoder {
    try XCTUnwrap(Self.encoder, "models/efficientnet-lite0 does not load")
  }

  func photoNames() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".png") }.sorted()
      .map { String($0.dropLast(4)) }
  }

  /// Every element within 1e-4 of the package's, relative to its size (and absolute below 1).
  func assertGrid(_ grid: Tensor, equals reference: Tensor, _ name: String) {
    XCTAssertEqual(grid.count, reference.count)
    var worst: Float = 0
    for i in 0..<reference.count {
      let r = reference.pointer[i]
      worst = max(worst, abs(grid.pointer[i] - r) / max(abs(r), 1))
    }
    XCTAssertLessThan(worst, 1e-4, "\(name): worst relative difference \(worst)")
  }

  /// Our own kernels: OpenBLAS for the 1×1 layers, our depthwise kernel.
  func testGridEqualsThePackageWithOurKernels() throws { try checkGrids(kernels: .own) }

  /// oneDNN, which `glimpse` uses where it loads (scripts/install-deps installs it).
  func testGridEqualsThePackageWithOneDNN() throws {
    XCTAssertNil(oneDNNLoadProblem, "oneDNN must load here: scripts/install-deps installs libdnnl-dev")
    XCTAssertEqual(PhotoEncoderKernels.preferred, .oneDNN)
    try checkGrids(kernels: .oneDNN)
    XCTAssertNil(try loadedEncoder().encoder.oneDNNFailure)
  }

  func checkGrids(kernels: PhotoEncoderKernels) throws {
    let encoder = try loadedEncoder().encoder
    encoder.kernels = kernels
    defer { encoder.kernels = .preferred }
    let references = try readSafeTensors(path: fixtures + "/grids.safetensors")
    let names = try photoNames()
    XCTAssertEqual(names.count, 6)
    let size = EfficientNetLite0.imageSize
    var planes = [Float]()
    for name in names {
      let image = try decodeImage(path: "\(fixtures)/\(name).png").image
      XCTAssertEqual([image.width, image.height], [size, size])
      planes += image.modelInput(size: size)
    }
    // The whole batch (per-core shares, or oneDNN's chunks), then each image alone.
    encoder.forward(images: Tensor(shape: [names.count, 3, size, size], values: planes))
    let batchGrid = encoder.grid.copy()
    for (i, name) in names.enumerated() {
      let reference = try XCTUnwrap(references.tensor(name), name)
      XCTAssertEqual(reference.shape, [49, 1280])
      assertGrid(batchGrid.slice(i), equals: reference, "\(name) in a batch, \(kernels)")
      let one = Array(planes[(i * 3 * size * size)..<((i + 1) * 3 * size * size)])
      encoder.forward(images: Tensor(shape: [1, 3, size, size], values: one))
      assertGrid(encoder.grid.slice(0), equals: reference, "\(name) alone, \(kernels)")
      for f in [0, 17, 1279] {
        let expected = (0..<49).reduce(Float(0)) { $0 + reference.pointer[$1 * 1280 + f] } / 49
        XCTAssertEqual(encoder.mean.pointer[f], expected, accuracy: 1e-4 * max(1, abs(expected)), name)
      }
    }
  }

  /// The top 5 classes and their order, as the package gives them after the same preprocessing
  /// (chelsea: tiger cat, Egyptian cat, tabby; coffee: espresso).
  func testClassifierAgreesWithThePackage() throws {
    let encoder = try loadedEncoder()
    let shared = try sharedFolder()
    let expected = try readJSONFile(fixtures + "/classify.json")
    for name in try photoNames() {
      let file = try XCTUnwrap(
        name.hasPrefix("shared-")
          ? try FileManager.default.contentsOfDirectory(atPath: shared + "/images").first {
            $0.hasPrefix(name.dropFirst("shared-".count) + ".")
          }.map { shared + "/images/" + $0 }
          : projectRoot + "/datasets/photos/" + name.dropFirst("datasets-".count) + ".png")
      let top = try classifyImage(path: file, encoder: encoder, top: 5)
      let reference = try XCTUnwrap(expected[name]?.array)
      XCTAssertEqual(top.map(\.index), reference.compactMap { $0["index"]?.number.map(Int.init) }, name)
      XCTAssertEqual(top.map(\.label), reference.compactMap { $0["label"]?.string }, name)
      XCTAssertEqual(top[0].p, Float(reference[0]["p"]?.number ?? 0), accuracy: 0.02, name)
    }
  }

  func testEncoderFolderWithAMisshapenTensorNamesFileAndTensor() throws {
    let encoder = try loadedEncoder()
    let folder = NSTemporaryDirectory() + "glimpse-encoder-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for file in ["config.json", "classes.json"] {
      try FileManager.default.copyItem(atPath: encoder.folder + "/" + file, toPath: folder + "/" + file)
    }
    var tensors = (encoder.encoder.parameters + encoder.encoder.classifierParameters).named
    tensors[3] = (tensors[3].name, Tensor(zeros: [31]))
    try writeSafeTensors(path: folder + "/model.safetensors", tensors, metadata: [], dtype: .f32)
    XCTAssertThrowsError(try PretrainedEncoder.load(folder: folder)) { error in
      XCTAssertEqual(
        "\(error)",
        "\(folder)/model.safetensors: does not fit the efficientnet-lite0 model of config.json: tensor "
          + "'encoder._bn0.running_mean' has shape [31], expected [32]")
    }
    tensors[3] = (tensors[3].name, Tensor(zeros: [32]))
    try writeSafeTensors(path: folder + "/model.safetensors", Array(tensors.dropLast()), metadata: [], dtype: .f32)
    XCTAssertThrowsError(try PretrainedEncoder.load(folder: folder)) { error in
      XCTAssertEqual(
        "\(error)",
        "\(folder)/model.safetensors: does not fit the efficientnet-lite0 model of config.json: missing tensor "
          + "'classifier.bias'")
    }
  }
}
