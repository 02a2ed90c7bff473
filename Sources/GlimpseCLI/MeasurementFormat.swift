import GlimpseBench
import GlimpseTensor
import GlimpseIO

func benchReportJSON(machine: MachineDescription, _ results: [Measurement]) -> String {
  let figures = JSONValue.array(
    results.map {
      .object([
        ("name", .string($0.name)), ("unit", .string($0.unit)), ("median", .number($0.median)),
        ("min", .number($0.min)),
        ("max", .number($0.max)),
      ])
    })
  return JSONValue.object([("machine", machine.json), ("figures", figures)]).text
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
