import GlimpseCore

public enum QuestionType: String, CaseIterable, Sendable {
  case color, shape, size, count, exist, position, relation

  /// VQA's answer_type.
  public var answerType: String { self == .exist ? "yes/no" : self == .count ? "number" : "other" }
}

public struct SceneQuestion: Equatable, Sendable {
  public var type: QuestionType
  public var question: String
  public var answer: String
}

/// Where an object stands: left/right/top/bottom/center, or nil near a boundary (never asked).
public func region(_ object: SceneObject) -> String? {
  func band(_ v: Double) -> Int? { v < 0.3 ? 0 : v > 0.7 ? 2 : (v > 0.36 && v < 0.64) ? 1 : nil }
  guard let column = band(object.x), let row = band(object.y) else { return nil }
  switch (column, row) {
  case (1, 1): return "center"
  case (0, 1): return "left"
  case (2, 1): return "right"
  case (1, 0): return "top"
  case (1, 2): return "bottom"
  default: return nil  // a corner is two regions at once
  }
}

/// The descriptions that pick out exactly one object of the scene, shortest first, leaving
/// out the attribute `hiding` (the one the question asks about).
func referringExpressions(_ object: SceneObject, in scene: Scene, hiding: QuestionType?) -> [String] {
  var options = [String]()
  let shape = object.shape.rawValue, color = object.color.rawValue, size = object.size.rawValue
  let noun = hiding == .shape ? "object" : shape
  if hiding != .shape { options.append(shape) }
  if hiding != .color { options.append("\(color) \(noun)") }
  if hiding != .size { options.append("\(size) \(noun)") }
  if hiding != .color && hiding != .size { options.append("\(size) \(color) \(noun)") }
  return options.filter { resolve($0, in: scene).count == 1 }
}

/// The objects a description ("red circle", "small object", "large blue square") fits.
func resolve(_ description: String, in scene: Scene) -> [SceneObject] {
  let words = description.split(separator: " ").map(String.init)
  return scene.objects.filter { object in
    words.allSatisfy { word in
      word == "object" || word == object.shape.rawValue || word == object.color.rawValue || word == object.size.rawValue
    }
  }
}

/// The unique object in `relation` to `reference` with no other object near the margin, if any.
func relatedObject(_ relation: Relation, to reference: SceneObject, in scene: Scene) -> SceneObject? {
  let others = scene.objects.filter { $0 != reference }
  let holding = others.filter { relation.holds($0, reference) }
  let borderline = others.filter { other in
    let delta: Double
    switch relation {
    case .leftOf: delta = reference.x - other.x
    case .rightOf: delta = other.x - reference.x
    case .above: delta = reference.y - other.y
    case .below: delta = other.y - reference.y
    }
    return delta > 0 && delta < Relation.margin
  }
  return holding.count == 1 && borderline.isEmpty ? holding[0] : nil
}

/// Every unambiguous question of each type the scene supports, with its answer.
func candidateQuestions(_ scene: Scene, novel: Bool) -> [QuestionType: [SceneQuestion]] {
  var out = [QuestionType: [SceneQuestion]]()
  func add(_ type: QuestionType, _ text: String, _ answer: String) {
    out[type, default: []].append(SceneQuestion(type: type, question: text, answer: answer))
  }
  for object in scene.objects {
    if let reference = referringExpressions(object, in: scene, hiding: .color).first {
      add(.color, "what color is the \(reference)?", object.color.rawValue)
    }
    if let reference = referringExpressions(object, in: scene, hiding: .shape).first {
      add(.shape, "what shape is the \(reference)?", object.shape.rawValue)
    }
    if let reference = referringExpressions(object, in: scene, hiding: .size).first {
      add(.size, "what size is the \(reference)?", object.size.rawValue)
    }
    if let place = region(object), let reference = referringExpressions(object, in: scene, hiding: nil).first {
      add(.position, "where is the \(reference)?", place)
    }
    for relation in Relation.allCases {
      guard let target = relatedObject(relation, to: object, in: scene),
        let reference = referringExpressions(object, in: scene, hiding: nil).last
      else { continue }
      add(.relation, "what color is the shape \(relation.rawValue) the \(reference)?", target.color.rawValue)
      add(.relation, "what shape is the object \(relation.rawValue) the \(reference)?", target.shape.rawValue)
    }
  }
  add(.count, "how many shapes are there?", String(scene.objects.count))
  for color in ColorName.allCases {
    add(
      .count, "how many \(color.rawValue) shapes are there?", String(scene.objects.filter { $0.color == color }.count))
  }
  for shape in ShapeKind.allCases {
    add(.count, "how many \(shape.rawValue)s are there?", String(scene.objects.filter { $0.shape == shape }.count))
  }
  for shape in ShapeKind.allCases {
    for color in ColorName.allCases {
      let probe = SceneObject(shape: shape, color: color, size: .small, x: 0, y: 0)
      if isHeldOut(probe) && !novel { continue }  // train never names a held-out pair
      let present = scene.objects.contains { $0.shape == shape && $0.color == color }
      add(.exist, "is there a \(color.rawValue) \(shape.rawValue)?", present ? "yes" : "no")
    }
  }
  return out
}

/// Picks, for each type the scene supports, the question whose answer this split has used
/// least so far (ties by `random`), so answers within a type come out balanced.
struct QuestionBalancer {
  var counts = [QuestionType: [String: Int]]()

  mutating func choose(_ scene: Scene, novel: Bool, random: inout SeededGenerator) -> [SceneQuestion] {
    let candidates = candidateQuestions(scene, novel: novel)
    var chosen = [SceneQuestion]()
    for type in QuestionType.allCases {
      guard let options = candidates[type], !options.isEmpty else { continue }
      let least = options.map { counts[type]?[$0.answer] ?? 0 }.min()!
      let pool = options.filter { (counts[type]?[$0.answer] ?? 0) == least }
      let question = pool[Int(random.next() % UInt64(pool.count))]
      counts[type, default: [:]][question.answer, default: 0] += 1
      chosen.append(question)
    }
    return chosen
  }
}

/// Answers a generated question from the scene by reading the question text back, or nil if
/// it does not parse or its referent is not unique: the independent check of the answers.
public func answerQuestion(_ question: String, _ scene: Scene) -> String? {
  var text = question
  guard text.hasSuffix("?") else { return nil }
  text.removeLast()
  func unique(_ description: String) -> SceneObject? {
    let found = resolve(description, in: scene)
    return found.count == 1 ? found[0] : nil
  }
  if text == "how many shapes are there" { return String(scene.objects.count) }
  if text.hasPrefix("how many "), text.hasSuffix(" shapes are there"),
    let color = ColorName(rawValue: String(text.dropFirst(9).dropLast(17)))
  {
    return String(scene.objects.filter { $0.color == color }.count)
  }
  if text.hasPrefix("how many "), text.hasSuffix("s are there"),
    let shape = ShapeKind(rawValue: String(text.dropFirst(9).dropLast(11)))
  {
    return String(scene.objects.filter { $0.shape == shape }.count)
  }
  if text.hasPrefix("is there a ") {
    let words = text.dropFirst(11).split(separator: " ").map(String.init)
    guard words.count == 2, let color = ColorName(rawValue: words[0]), let shape = ShapeKind(rawValue: words[1]) else {
      return nil
    }
    return scene.objects.contains { $0.color == color && $0.shape == shape } ? "yes" : "no"
  }
  for relation in Relation.allCases {
    for (prefix, attribute) in [
      ("what color is the shape ", \SceneObject.color.rawValue),
      ("what shape is the object ", \SceneObject.shape.rawValue),
    ] {
      let lead = prefix + relation.rawValue + " the "
      if text.hasPrefix(lead) {
        guard let reference = unique(String(text.dropFirst(lead.count))),
          let target = relatedObject(relation, to: reference, in: scene)
        else { return nil }
        return target[keyPath: attribute]
      }
    }
  }
  for (lead, answer) in singleObjectQuestions where text.hasPrefix(lead) {
    return unique(String(text.dropFirst(lead.count))).flatMap(answer)
  }
  return nil
}

/// The questions about one named object: the words before its description, and the answer.
let singleObjectQuestions: [(lead: String, answer: @Sendable (SceneObject) -> String?)] = [
  ("what color is the ", { $0.color.rawValue }), ("what shape is the ", { $0.shape.rawValue }),
  ("what size is the ", { $0.size.rawValue }), ("where is the ", region),
]
