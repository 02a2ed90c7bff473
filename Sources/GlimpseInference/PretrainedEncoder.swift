import GlimpseIO
import GlimpseModels
import GlimpseTensor

/// An encoder folder such as models/efficientnet-lite0: the pretrained encoder's weights
/// (model.safetensors, batch norm unfolded as the package stores it), config.json naming the
/// encoder, and classes.json, the names of the ImageNet classes its classifier scores.
public final class PretrainedEncoder {
  public let folder: String
  public let encoder: EfficientNetLite0
  public let classes: [String]

  init(folder: String, encoder: EfficientNetLite0, classes: [String]) {
    (self.folder, self.encoder, self.classes) = (folder, encoder, classes)
  }

  /// Loads the folder strictly: the encoder config.json names, every tensor it needs with its
  /// shape and nothing else, and one class name per output of the classifier.
  public static func load(folder: String) throws -> PretrainedEncoder {
    let (config, configPath) = try readModelConfig(folder: folder)
    let name: String
    do {
      name = try config.requiredString("encoder")
    } catch {
      throw FileError(configPath, error.reason)
    }
    guard name == EfficientNetLite0.name else {
      throw FileError(configPath, "encoder '\(name.prefix(60))' is not one glimpse has (\(EfficientNetLite0.name))")
    }
    try loadBLAS()
    let encoder = EfficientNetLite0()
    try loadModelWeights(encoder.parameters + encoder.classifierParameters, folder: folder, model: name)
    encoder.prepare()
    let classesPath = folder + "/classes.json"
    let classes = try readJSONFile(classesPath).array?.compactMap(\.string) ?? []
    guard classes.count == EfficientNetLite0.classes else {
      throw FileError(classesPath, "expected a list of \(EfficientNetLite0.classes) class names")
    }
    return PretrainedEncoder(folder: folder, encoder: encoder, classes: classes)
  }
}

/// Copies a pretrained encoder folder's weights into a model's encoder (the same tensor names)
/// and lets it fold them: how a photo model starts.
public func copyPretrainedEncoder(from folder: String, into encoder: ImageEncoder) throws {
  let pretrained = try PretrainedEncoder.load(folder: folder)
  let byName = Dictionary(uniqueKeysWithValues: pretrained.encoder.parameters.map { ($0.name, $0.value) })
  for parameter in encoder.parameters {
    guard let value = byName[parameter.name], value.shape == parameter.value.shape else {
      throw FileError(folder, "has no tensor '\(parameter.name)' of shape \(parameter.value.shape)")
    }
    parameter.value.assign(value)
  }
  encoder.parametersChanged()
}
