import ArgumentParser
import GlimpseIO
import GlimpseInference
import GlimpseTraining

struct EvalCaptionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "caption",
    abstract: "Caption a dataset's images and score the captions.",
    discussion: """
      Prints BLEU-1..4, ROUGE-L and CIDEr-D as the COCO caption evaluation computes them \
      (references from the data, CIDEr-D's document frequencies from those references). When \
      the data are generated scenes (scenes.json beside captions.json), also grammaticality, \
      semantic accuracy (the caption names exactly the scene's objects, with only true \
      relations), attribute precision and recall, and diversity (distinct captions per image).
      """
  )

  @Option(help: "The model folder.")
  var model: String

  @Option(help: "The data: a folder with captions.json, or a caption file (as for training).")
  var data: String

  @Option(help: "Beam width; 1 is greedy decoding, 32 images at a time.")
  var beam = 1

  @Option(help: "Write the COCO results file [{image_id, caption}] here.")
  var out: String?

  @Flag(help: "Print the metrics as one JSON object.")
  var json = false

  func validate() throws {
    guard (1...32).contains(beam) else { throw ValidationError("--beam must be between 1 and 32") }
  }

  func run() throws {
    let loaded = try CaptionModel.load(folder: model)
    let evaluation = try evaluateCaptioner(model: loaded, data: data, beams: beam, resultsPath: out)
    if json {
      print(evaluation.json.text)
      return
    }
    let scores = evaluation.scores
    var rows = [("images", "\(evaluation.images)")]
    rows += (0..<4).map { ("BLEU-\($0 + 1)", format(scores.bleu[$0])) }
    rows += [("ROUGE-L", format(scores.rougeL)), ("CIDEr-D", format(scores.ciderD))]
    if let semantics = evaluation.semantics {
      rows += [
        ("semantic accuracy", percent(semantics.semanticAccuracy)),
        ("grammaticality", percent(semantics.grammaticality)),
        ("attribute precision", percent(semantics.attributePrecision)),
        ("attribute recall", percent(semantics.attributeRecall)),
        ("diversity", percent(semantics.diversity)),
      ]
    }
    let width = rows.map(\.0.count).max()!
    for (name, value) in rows { print(name + String(repeating: " ", count: width - name.count + 2) + value) }
  }

  func format(_ value: Double) -> String { decimal(Float(value), 4) }
  func percent(_ value: Double) -> String { decimal(Float(value * 100), 2) + "%" }
}
