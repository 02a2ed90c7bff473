import GlimpseData

/// The ShapeWorldICE-style measures of captions of generated scenes, judged against each
/// scene's ground truth:
/// - grammaticality: the share of captions that parse under the caption grammar;
/// - semantic accuracy: the share whose caption names exactly the scene's objects (size, colour,
///   shape) with only true relations (`captionIsTrue`);
/// - attribute precision / recall: over all captions, the (size, colour, shape) attribute values
///   the caption names that match an object of the scene, over those named / over those present;
/// - diversity: distinct captions over images.
public struct SemanticScores: Equatable, Sendable {
  public var grammaticality: Double
  public var semanticAccuracy: Double
  public var attributePrecision: Double
  public var attributeRecall: Double
  public var diversity: Double
}

public func scoreSemantics(captions: [String], scenes: [Scene]) -> SemanticScores {
  precondition(captions.count == scenes.count && !captions.isEmpty, "one caption per scene")
  var parsed = 0, correct = 0, named = 0, present = 0, matched = 0
  for (caption, scene) in zip(captions, scenes) {
    let truth = scene.objects.map { [$0.size.rawValue, $0.color.rawValue, $0.shape.rawValue] }
    present += truth.count * 3
    guard let parse = parseCaption(caption) else { continue }
    parsed += 1
    if captionIsTrue(parse, scene) { correct += 1 }
    // Match each named object to the scene object sharing most attributes, each used once.
    var unused = truth
    for object in parse.objects {
      let words = object.split(separator: " ").map(String.init)
      named += 3
      let overlaps = unused.map { zip($0, words).filter { $0 == $1 }.count }
      if let best = overlaps.indices.max(by: { overlaps[$0] < overlaps[$1] }) {
        matched += overlaps[best]
        unused.remove(at: best)
      }
    }
  }
  let n = Double(captions.count)
  return SemanticScores(
    grammaticality: Double(parsed) / n, semanticAccuracy: Double(correct) / n,
    attributePrecision: named == 0 ? 0 : Double(matched) / Double(named),
    attributeRecall: present == 0 ? 0 : Double(matched) / Double(present),
    diversity: Double(Set(captions).count) / n)
}
