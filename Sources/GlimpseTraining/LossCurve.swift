import GlimpseImage

/// The training loss over the steps as a 640×400 chart: the loss smoothed over windows of
/// about 1/200 of the run, a tick at each epoch's end, the axes labelled with their ranges.
public func lossCurve(_ losses: [Float], stepsPerEpoch: Int) -> Image {
  var canvas = Canvas(width: 640, height: 400)
  let (left, right, top, bottom) = (60.0, 620.0, 30.0, 360.0)
  let axis: (Float, Float, Float) = (0.2, 0.2, 0.2)
  canvas.text("training loss", x: 60, y: 10, scale: 2)
  canvas.line(from: (left, top), to: (left, bottom), color: axis)
  canvas.line(from: (left, bottom), to: (right, bottom), color: axis)
  let window = max(1, losses.count / 200)
  let points = stride(from: 0, to: losses.count, by: window).map { start in
    let chunk = losses[start..<min(losses.count, start + window)]
    return (step: Double(start + chunk.count), loss: Double(chunk.reduce(0, +) / Float(chunk.count)))
  }
  guard let first = points.first else {
    canvas.text("no steps yet", x: 260, y: 190)
    return canvas.image
  }
  let finite = points.map(\.loss).filter(\.isFinite)
  let high = max(finite.max() ?? 1, 1e-6), low = min(finite.min() ?? 0, 0)
  let steps = Double(max(losses.count, 1))
  func position(_ step: Double, _ loss: Double) -> (Double, Double) {
    (left + (right - left) * step / steps, bottom - (bottom - top) * (min(max(loss, low), high) - low) / (high - low))
  }
  for epochEnd in stride(from: stepsPerEpoch, through: losses.count, by: max(stepsPerEpoch, 1)) {
    let x = position(Double(epochEnd), low).0
    canvas.line(from: (x, bottom), to: (x, bottom + 5), color: axis)
  }
  var previous = position(first.step, first.loss)
  for point in points.dropFirst() {
    let next = position(point.step, point.loss)
    canvas.line(from: previous, to: next, color: (0.1, 0.3, 0.8), thickness: 2)
    previous = next
  }
  canvas.text(shortNumber(high), x: 4, y: Int(top) - 3)
  canvas.text(shortNumber(low), x: 4, y: Int(bottom) - 3)
  canvas.text("0", x: Int(left) - 2, y: Int(bottom) + 10)
  let last = "\(losses.count) steps"
  canvas.text(last, x: Int(right) - BitmapFont.width(last), y: Int(bottom) + 10)
  canvas.text("final \(shortNumber(points.last!.loss))", x: 260, y: Int(bottom) + 24)
  return canvas.image
}

/// A number in at most four significant digits, for labels.
func shortNumber(_ value: Double) -> String {
  guard value.isFinite else { return "\(value)" }
  let scaled = (value * 1000).rounded() / 1000
  return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
}
