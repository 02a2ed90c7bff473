import ArgumentParser
import GlimpseIO
import GlimpseInference
import GlimpseTraining

struct EvalVQACommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vqa",
    abstract: "Answer a dataset's questions and score the answers.",
    discussion: """
      Prints the accuracy overall, per question type and per answer type. Answers are \
      normalised as the official VQA evaluation does (case, punctuation, articles, number \
      words as digits); a prediction scores min(#annotators who gave it / 3, 1) when a question \
      has several answers, exact match when it has one. For a vqa-san model on data with \
      scenes.json (as `glimpse data generate` writes), it also prints where each hop looks for \
      questions about one object: how often its strongest cell of the grid lies on the \
      object, and its weight there ("attention" in --json).
      """
  )

  @Option(help: "The model folder.")
  var model: String

  @Option(help: "A folder with questions.json, annotations.json and captions.json.")
  var data: String

  @Option(help: "Write the results file [{question_id, answer}] here.")
  var out: String?

  @Flag(help: "Print the scores as one JSON object.")
  var json = false

  func run() throws {
    let (scores, localisation) = try evaluateAnswerer(
      model: try AnsweringModel.load(folder: model), data: data, predictionsPath: out)
    if json {
      var fields = scores.json.object ?? []
      if let localisation { fields.append(("attention", localisation.json)) }
      print(JSONValue.object(fields).text)
      return
    }
    var rows = [("questions", "\(scores.questions)"), ("accuracy", percent(scores.accuracy))]
    rows += scores.perType.map { ("  \($0.0)", percent($0.1)) }
    rows += scores.perAnswerType.map { ("  answer type \($0.0)", percent($0.1)) }
    let width = rows.map(\.0.count).max()!
    for (name, value) in rows { print(name + String(repeating: " ", count: width - name.count + 2) + value) }
    guard let localisation else { return }
    print(
      """
      attention on the asked-about object, per hop: how often its strongest cell is on the object, and its weight \
      there
      """
    )
    print("(area: the object's share of the grid's cells)")
    let typeWidth = localisation.rows.map(\.type.count).max() ?? 0
    for row in localisation.rows {
      let hops = row.hops.enumerated().map {
        "hop \($0.offset + 1) \(percent($0.element.hit, places: 1)) \(percent($0.element.mass, places: 1))"
      }
      print(
        "  " + row.type + String(repeating: " ", count: typeWidth - row.type.count + 2)
          + "\(row.questions) questions  " + hops.joined(separator: "  ") + "  area " + percent(row.area, places: 1))
    }
  }

  func percent(_ value: Double, places: Int = 2) -> String { decimal(Float(value * 100), places) + "%" }
}
