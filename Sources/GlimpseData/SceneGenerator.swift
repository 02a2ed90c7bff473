import GlimpseCore

/// Draws scenes from a seed: 1–3 objects of distinct (size, colour, shape), not overlapping,
/// on a light gradient. For `novel` scenes at least one object is a held-out shape–colour
/// pair; otherwise none is.
public struct SceneGenerator {
  var random: SeededGenerator
  let novel: Bool

  public init(seed: UInt64, novel: Bool) {
    random = SeededGenerator(seed: seed)
    self.novel = novel
  }

  mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
  mutating func uniform(_ low: Double, _ high: Double) -> Double { low + Double(random.nextUnit()) * (high - low) }

  public mutating func next() -> Scene {
    while true {
      if let scene = attempt() { return scene }
    }
  }

  mutating func attempt() -> Scene? {
    let count = 1 + Int(random.next() % 3)
    var objects = [SceneObject]()
    for index in 0..<count {
      var object: SceneObject
      if novel && index == 0 {
        let pair = pick(heldOutPairs)
        object = SceneObject(shape: pair.0, color: pair.1, size: pick(SizeName.allCases), x: 0, y: 0)
      } else {
        repeat {
          object = SceneObject(
            shape: pick(ShapeKind.allCases), color: pick(ColorName.allCases), size: pick(SizeName.allCases), x: 0, y: 0)
        } while isHeldOut(object) && !novel
      }
      if objects.contains(where: { $0.description == object.description }) { return nil }
      var placed = false
      for _ in 0..<100 {
        let margin = object.radius + 0.02
        object.x = uniform(margin, 1 - margin)
        object.y = uniform(margin, 1 - margin)
        let clear = objects.allSatisfy { other in
          let (dx, dy) = (other.x - object.x, other.y - object.y)
          return (dx * dx + dy * dy).squareRoot() >= other.radius + object.radius + 0.04
            && (abs(dx) >= Relation.margin || abs(dy) >= Relation.margin)
        }
        if clear { placed = true; break }
      }
      if !placed { return nil }
      objects.append(object)
    }
    // Shuffle so the held-out object is not always first.
    for i in stride(from: objects.count - 1, to: 0, by: -1) { objects.swapAt(i, Int(random.next() % UInt64(i + 1))) }
    let top = (0..<3).map { _ in 0.8 + 0.2 * random.nextUnit() }
    let bottom = (0..<3).map { _ in 0.8 + 0.2 * random.nextUnit() }
    return Scene(objects: objects, top: top, bottom: bottom, noiseSeed: random.next())
  }
}
