import GlimpseBench
import GlimpseIO

func measurementsJSON(_ results: [Measurement]) -> String {
  let rows = results.map {
    "{\"name\":\(jsonQuoted($0.name)),\"unit\":\(jsonQuoted($0.unit)),\"median\":\($0.median),\"min\":\($0.min),\"max\":\($0.max)}"
  }
  return "[" + rows.joined(separator: ",") + "]"
}

func measurementsTable(_ results: [Measurement]) -> String {
  let width = results.map(\.name.count).max() ?? 4
  return results.map { m in
    let name = m.name + String(repeating: " ", count: width - m.name.count)
    return "\(name)  \(format(m.median)) \(m.unit)  (min \(format(m.min)), max \(format(m.max)))"
  }.joined(separator: "\n")
}

private func format(_ value: Double) -> String {
  let scaled = (value * 100).rounded() / 100
  return "\(scaled)"
}
