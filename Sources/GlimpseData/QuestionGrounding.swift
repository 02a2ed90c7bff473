/// The one object a generated question asks about ("what color is the large square?", "where
/// is the red circle?"), or nil: for count, exist and relation questions (a relation's words,
/// "shape left of the …", describe no object), for questions that do not parse and for
/// referents that are not unique.
public func askedObject(_ question: String, in scene: Scene) -> SceneObject? {
  var text = question.lowercased()
  if text.hasSuffix("?") { text.removeLast() }
  for (lead, _) in singleObjectQuestions where text.hasPrefix(lead) {
    let found = resolve(String(text.dropFirst(lead.count)), in: scene)
    return found.count == 1 ? found[0] : nil
  }
  return nil
}

/// The cells (row · side + column) of a side × side grid over the image whose centres lie
/// inside the object's square (centre ± radius), widened by half a cell: where attention over
/// the encoder's 8×8 grid should be to be "on the object" (the rule of scripts/grid_localisation.py, which measures the
/// captioner's attention).
public func gridCells(of object: SceneObject, side: Int) -> [Int] {
  let reach = object.radius + 0.5 / Double(side)
  var cells = [Int]()
  for row in 0..<side {
    for column in 0..<side {
      let (x, y) = ((Double(column) + 0.5) / Double(side), (Double(row) + 0.5) / Double(side))
      if abs(x - object.x) <= reach && abs(y - object.y) <= reach { cells.append(row * side + column) }
    }
  }
  return cells
}
