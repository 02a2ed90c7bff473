import GlimpseData
import GlimpseIO
import GlimpseModels
import GlimpseTensor

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A model folder's config.json, read once the folder is known to exist (so a wrong --model
/// is "no such model folder", not a missing config).
public func readModelConfig(folder: String) throws -> (config: JSONValue, path: String) {
  var status = stat()
  guard stat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
    throw FileError(folder, "no such model folder")
  }
  let path = folder + "/config.json"
  return (try readJSONFile(path, maxBytes: largestModelFile), path)
}

/// The sizes config.json gives (glimpse-small's for missing keys), checked.
public func readModelSizes(_ config: JSONValue, path: String) throws -> ModelSizes {
  let sizes: ModelSizes
  do {
    sizes = try ModelSizes(config: config)
  } catch {
    throw FileError(path, error.reason)
  }
  if let problem = sizes.problem { throw FileError(path, problem) }
  return sizes
}

/// Writes a model folder (created if missing), each file atomically: model.safetensors (its
/// metadata naming the model as `describedAs`), vocab.json, whatever `extra` writes, and
/// config.json last, so that a folder with a config is complete.
func writeModelFolder(
  _ folder: String, parameters: [Parameter], describedAs: (String, String), dtype: SafeTensorsDType,
  vocabulary: Vocabulary, config: JSONValue, extra: () throws -> Void = {}
) throws {
  try makeFolder(folder)
  try writeSafeTensors(
    path: folder + "/model.safetensors", parameters.named,
    metadata: [("format", "pt"), ("producer", "glimpse"), describedAs],
    dtype: dtype)
  try vocabulary.write(path: folder + "/vocab.json")
  try extra()
  try writeFileAtomically(folder + "/config.json", Array((config.text + "\n").utf8))
}

/// Loads model.safetensors into the parameters strictly; a mismatch names the file and the
/// model config.json describes.
func loadModelWeights(_ parameters: [Parameter], folder: String, model: String) throws {
  let path = folder + "/model.safetensors"
  let contents = try readSafeTensors(path: path)
  do {
    try parameters.load(contents)
  } catch {
    throw FileError(path, "does not fit the \(model) model of config.json: \(error.reason)")
  }
}
