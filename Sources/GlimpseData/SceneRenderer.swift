import GlimpseImage
import GlimpseCore

/// Renders a scene as an RGB image, antialiased by 4×4 supersampling inside each object's
/// bounding box, over a vertical gradient with per-pixel noise (so no single pixel gives the
/// answer away).
public func renderScene(_ scene: Scene, size: Int) -> Image {
  var noise = SeededGenerator(seed: scene.noiseSeed)
  var pixels = [Float](repeating: 0, count: size * size * 3)
  for y in 0..<size {
    let t = (Float(y) + 0.5) / Float(size)
    for x in 0..<size {
      for c in 0..<3 {
        let base = scene.top[c] * (1 - t) + scene.bottom[c] * t
        pixels[(y * size + x) * 3 + c] = base + noise.nextSymmetric(0.04)
      }
    }
  }
  let samples = 4
  for object in scene.objects {
    let color = palette(object.color)
    let low = { (v: Double) in max(0, Int((v - object.radius) * Double(size)) - 1) }
    let high = { (v: Double) in min(size - 1, Int((v + object.radius) * Double(size)) + 1) }
    for py in low(object.y)...high(object.y) {
      for px in low(object.x)...high(object.x) {
        var covered = 0
        for sy in 0..<samples {
          for sx in 0..<samples {
            let u = (Double(px) + (Double(sx) + 0.5) / Double(samples)) / Double(size)
            let v = (Double(py) + (Double(sy) + 0.5) / Double(samples)) / Double(size)
            if contains(object, u, v) { covered += 1 }
          }
        }
        guard covered > 0 else { continue }
        let coverage = Float(covered) / Float(samples * samples)
        for c in 0..<3 {
          let i = (py * size + px) * 3 + c
          pixels[i] = pixels[i] * (1 - coverage) + color[c] * coverage
        }
      }
    }
  }
  return Image(
    width: size, height: size, channels: 3, pixels: pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
}

func palette(_ color: ColorName) -> [Float] {
  switch color {
  case .red: return [0.85, 0.12, 0.12]
  case .green: return [0.12, 0.62, 0.18]
  case .blue: return [0.12, 0.28, 0.85]
  case .yellow: return [0.95, 0.82, 0.05]
  case .purple: return [0.58, 0.18, 0.72]
  case .orange: return [0.98, 0.52, 0.05]
  }
}

/// Whether the point (u, v) in [0, 1]² lies inside the object.
func contains(_ object: SceneObject, _ u: Double, _ v: Double) -> Bool {
  let (dx, dy, r) = (u - object.x, v - object.y, object.radius)
  switch object.shape {
  case .circle:
    return dx * dx + dy * dy <= r * r
  case .square:
    return abs(dx) <= 0.82 * r && abs(dy) <= 0.82 * r
  case .triangle:
    // Pointing up: apex at (0, −r), base at y = 0.7r, half-width r at the base.
    guard dy >= -r && dy <= 0.7 * r else { return false }
    return abs(dx) <= (dy + r) / 1.7
  case .cross:
    let arm = 0.32 * r
    return (abs(dx) <= r && abs(dy) <= arm) || (abs(dx) <= arm && abs(dy) <= r)
  }
}
