import ArgumentParser
import GlimpseData
import GlimpseInference
import GlimpseModels
import GlimpseTensor
import GlimpseTraining

struct FeaturesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "features",
    abstract: "Compute a dataset's grid features once with a pretrained encoder, for training on photos.",
    discussion: """
      Runs every image of DATA through the frozen encoder (decoded on every core, encoded on both) and \
      writes the grids (7×7×1,280, F16) to one memory-mapped cache file. Each entry is keyed by the image \
      file's path, size and modification time and by the encoder's weights: running it again computes \
      only new or changed images, and `glimpse train caption --encoder efficientnet-lite0` reads the \
      cache instead of the images. The file is replaced atomically. Under mpirun the images are shared out \
      among the ranks and rank 0 writes the one cache, which any number of ranks reads later.
      """
  )

  @Argument(help: "A folder with captions.json, or a caption file (COCO .json, Karpathy, .tsv, Flickr8k).")
  var data: String

  @Option(help: "The pretrained encoder's folder (default: the shipped models/efficientnet-lite0).")
  var encoder: String?

  @Option(help: "The cache file (default: features-efficientnet-lite0.glf beside DATA).")
  var out: String?

  func run() throws {
    try loadBLAS()
    let folder = try encoder ?? findShippedModel("efficientnet-lite0", executable: CommandLine.arguments[0])
    let network = EfficientNetLite0()
    try copyPretrainedEncoder(from: folder, into: network)
    let source = try CaptionSource(path: data)
    let cache = out ?? defaultFeatureCachePath(data: data, encoder: EfficientNetLite0.name)
    try runAsRanks { communicator in
      let progress = FeatureProgress(quiet: !communicator.isRoot)
      let report = try updateFeatureCache(
        cachePath: cache, paths: source.dataset.images.map(\.path), encoder: network,
        encoderName: EfficientNetLite0.name, communicator: communicator
      ) { progress.report(cache: cache, done: $0, total: $1) }
      if communicator.isRoot { reportFeatures([(cache, report)]) }
    }
  }
}
