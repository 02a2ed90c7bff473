/// The generated world: scenes of 1–3 objects whose every attribute is known, so a caption or
/// an answer can be judged right or wrong.
public enum ShapeKind: String, CaseIterable, Sendable { case circle, square, triangle, cross }
public enum ColorName: String, CaseIterable, Sendable { case red, green, blue, yellow, purple, orange }
public enum SizeName: String, CaseIterable, Sendable { case small, large }

public struct SceneObject: Equatable, Sendable {
  public var shape: ShapeKind
  public var color: ColorName
  public var size: SizeName
  /// Centre, in [0, 1] across and down the image.
  public var x: Double
  public var y: Double

  public init(shape: ShapeKind, color: ColorName, size: SizeName, x: Double, y: Double) {
    (self.shape, self.color, self.size, self.x, self.y) = (shape, color, size, x, y)
  }

  public var radius: Double { size == .small ? 0.1 : 0.17 }
  public var description: String { "\(size.rawValue) \(color.rawValue) \(shape.rawValue)" }
}

public enum Relation: String, CaseIterable, Sendable {
  case leftOf = "left of", rightOf = "right of", above, below

  /// Centres must be this far apart along the relation's axis for it to count as true: close
  /// calls are never stated, so every stated relation is plainly visible.
  public static let margin = 0.15

  public func holds(_ a: SceneObject, _ b: SceneObject) -> Bool {
    switch self {
    case .leftOf: return b.x - a.x >= Self.margin
    case .rightOf: return a.x - b.x >= Self.margin
    case .above: return b.y - a.y >= Self.margin
    case .below: return a.y - b.y >= Self.margin
    }
  }
}

public struct Scene: Equatable, Sendable {
  public var objects: [SceneObject]
  /// Light background colours at the top and bottom (RGB in [0, 1]) and the noise seed.
  public var top: [Float]
  public var bottom: [Float]
  public var noiseSeed: UInt64

  public init(objects: [SceneObject], top: [Float], bottom: [Float], noiseSeed: UInt64) {
    (self.objects, self.top, self.bottom, self.noiseSeed) = (objects, top, bottom, noiseSeed)
  }
}

/// The shape–colour pairs held out of train, val and test and shown only in `test-novel`
/// (CLEVR-CoGenT's idea): one per shape, each colour used at most once.
public let heldOutPairs: [(ShapeKind, ColorName)] = [
  (.circle, .blue), (.square, .yellow), (.triangle, .green), (.cross, .red),
]

public func isHeldOut(_ object: SceneObject) -> Bool {
  heldOutPairs.contains { $0.0 == object.shape && $0.1 == object.color }
}
