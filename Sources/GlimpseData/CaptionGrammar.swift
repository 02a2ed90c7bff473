import GlimpseCore

/// The caption grammar of generated scenes, both ways: `sceneCaptions` writes true captions,
/// `parseCaption` reads one back into objects and relations, and `captionIsTrue` checks it
/// against a scene (the truthfulness / semantic accuracy measure).
///
///   caption  := [prefix] object (link object)* [suffix]
///   prefix   := "there is" | "one" | "a picture of" | "two shapes" | "three shapes"
///   object   := ["a"] size colour shape        size := small | little | large | big
///   link     := "and" | "left of" | "right of" | "above" | "below"
///   suffix   := "on a plain background"
/// A relation link says the object before it stands in that relation to the object after it.
/// Captions have at most 14 words, so with `<start>` and `<end>` they fit the spec's 16 tokens.
public struct ParsedCaption: Equatable, Sendable {
  public var objects: [String]  // "large red circle", canonical words
  public var relations: [(first: Int, relation: Relation, second: Int)]

  public static func == (a: ParsedCaption, b: ParsedCaption) -> Bool {
    a.objects == b.objects && a.relations.count == b.relations.count
      && zip(a.relations, b.relations).allSatisfy {
        $0.first == $1.first && $0.relation == $1.relation && $0.second == $1.second
      }
  }
}

public let maxCaptionWords = 14

let sizeWords = ["small": SizeName.small, "little": .small, "large": .large, "big": .large]

public func parseCaption(_ text: String) -> ParsedCaption? {
  let tokens = tokenize(text)
  var position = 0
  func take(_ words: [String]) -> Bool {
    guard position + words.count <= tokens.count, Array(tokens[position..<position + words.count]) == words else {
      return false
    }
    position += words.count
    return true
  }
  var expected: Int? = nil
  if take(["two", "shapes"]) {
    expected = 2
  } else if take(["three", "shapes"]) {
    expected = 3
  } else if take(["one"]) {
    expected = 1
  } else if take(["there", "is"]) || take(["a", "picture", "of"]) {
  }
  var parsed = ParsedCaption(objects: [], relations: [])
  func object() -> String? {
    _ = take(["a"])
    guard position + 3 <= tokens.count, let size = sizeWords[tokens[position]],
      let color = ColorName(rawValue: tokens[position + 1]),
      let shape = ShapeKind(rawValue: tokens[position + 2])
    else { return nil }
    position += 3
    return "\(size.rawValue) \(color.rawValue) \(shape.rawValue)"
  }
  guard let first = object() else { return nil }
  parsed.objects.append(first)
  while position < tokens.count {
    if take(["on", "a", "plain", "background"]) { break }
    var relation: Relation? = nil
    if take(["and"]) {
    } else if let found = Relation.allCases.first(where: { take($0.rawValue.split(separator: " ").map(String.init)) }) {
      relation = found
    } else {
      return nil
    }
    guard let next = object() else { return nil }
    parsed.objects.append(next)
    if let relation { parsed.relations.append((parsed.objects.count - 2, relation, parsed.objects.count - 1)) }
  }
  guard position == tokens.count, tokens.count <= maxCaptionWords, expected == nil || expected == parsed.objects.count
  else { return nil }
  return parsed
}

/// True when the caption names exactly the scene's objects (size, colour, shape; each once)
/// and every relation it states holds.
public func captionIsTrue(_ caption: ParsedCaption, _ scene: Scene) -> Bool {
  let names = scene.objects.map(\.description)
  guard caption.objects.sorted() == names.sorted() else { return false }
  return caption.relations.allSatisfy { link in
    let a = scene.objects[names.firstIndex(of: caption.objects[link.first])!]
    let b = scene.objects[names.firstIndex(of: caption.objects[link.second])!]
    return link.relation.holds(a, b)
  }
}

/// Five different true captions of the scene, drawn from the grammar's templates with `random`.
public func sceneCaptions(_ scene: Scene, count: Int = 5, random: inout SeededGenerator) -> [String] {
  func phrase(_ object: SceneObject, article: Bool) -> String {
    let size =
      object.size == .small ? (random.next() % 4 == 0 ? "little" : "small") : (random.next() % 4 == 0 ? "big" : "large")
    return (article ? "a " : "") + "\(size) \(object.color.rawValue) \(object.shape.rawValue)"
  }
  let objects = scene.objects
  var candidates = [String]()
  switch objects.count {
  case 1:
    let o = objects[0]
    candidates = [
      "\(phrase(o, article: true))", "there is \(phrase(o, article: true))", "one \(phrase(o, article: false))",
      "a picture of \(phrase(o, article: true))", "\(phrase(o, article: true)) on a plain background",
    ]
  case 2:
    for (a, b) in [(objects[0], objects[1]), (objects[1], objects[0])] {
      for relation in Relation.allCases where relation.holds(a, b) {
        let r = relation.rawValue
        candidates += [
          "\(phrase(a, article: true)) \(r) \(phrase(b, article: true))",
          "there is \(phrase(a, article: true)) \(r) \(phrase(b, article: true))",
          "two shapes: \(phrase(a, article: true)) \(r) \(phrase(b, article: true))",
        ]
      }
    }
  default:
    for (i, j, k) in [(0, 1, 2), (1, 0, 2), (0, 2, 1), (2, 0, 1), (1, 2, 0), (2, 1, 0)] {
      let (a, b, c) = (objects[i], objects[j], objects[k])
      for relation in Relation.allCases where relation.holds(a, b) {
        let r = relation.rawValue
        if relation == .above || relation == .below {
          candidates.append(
            "\(phrase(a, article: true)) \(r) \(phrase(b, article: true)) and \(phrase(c, article: true))")
        }
        candidates += [
          "\(phrase(a, article: false)) \(r) \(phrase(b, article: false)) and \(phrase(c, article: false))",
          """
          three shapes: \(phrase(a, article: false)) \(r) \(phrase(b, article: false)) and \
          \(phrase(c, article: false))
          """,
          """
          three shapes: \(phrase(c, article: false)) and \(phrase(a, article: false)) \(r) \
          \(phrase(b, article: false))
          """,
        ]
      }
    }
  }
  var chosen = [String]()
  var pool = candidates.filter { tokenize($0).count <= maxCaptionWords }
  while chosen.count < count && !pool.isEmpty {
    let caption = pool.remove(at: Int(random.next() % UInt64(pool.count)))
    if !chosen.contains(caption) { chosen.append(caption) }
  }
  return chosen
}
