/// Where attention looks when a question asks about one object: for each question type and
/// hop, how often the hop's strongest cell is one of the object's cells (`hit`) and the mean
/// weight the hop puts on them (`mass`); `area` is the object's mean share of the cells, the
/// mass uniform attention would give. Questions with no target cells are left out.
public struct AttentionLocalisation: Sendable {
  public struct Figure: Sendable, Equatable {
    public var hit: Double
    public var mass: Double
  }

  /// Per question type, in order of first appearance: questions, area and one figure per hop.
  public var rows: [(type: String, questions: Int, area: Double, hops: [Figure])]

  /// `weights[q][hop]` over `locations` cells; `cells[q]` the object's cells of question q.
  public init(weights: [[[Float]]], cells: [[Int]], types: [String], locations: Int) {
    var order = [String](), sums = [String: (questions: Int, area: Double, hit: [Double], mass: [Double])]()
    for q in weights.indices where !cells[q].isEmpty {
      let hops = weights[q].count
      if sums[types[q]] == nil { order.append(types[q]) }
      var sum = sums[types[q]] ?? (0, 0, [Double](repeating: 0, count: hops), [Double](repeating: 0, count: hops))
      let target = Set(cells[q])
      sum.questions += 1
      sum.area += Double(target.count) / Double(locations)
      for (hop, p) in weights[q].enumerated() {
        let strongest = p.indices.max { p[$0] < p[$1] }!
        if target.contains(strongest) { sum.hit[hop] += 1 }
        sum.mass[hop] += target.reduce(0.0) { $0 + Double(p[$1]) }
      }
      sums[types[q]] = sum
    }
    rows = order.map { type in
      let s = sums[type]!, n = Double(s.questions)
      return (type, s.questions, s.area / n, zip(s.hit, s.mass).map { Figure(hit: $0 / n, mass: $1 / n) })
    }
  }
}
