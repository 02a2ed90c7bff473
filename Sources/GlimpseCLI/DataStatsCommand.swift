import ArgumentParser
import GlimpseData

struct DataStatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats",
    abstract: "Print each question type's answer balance: how often its majority answer is right.",
    discussion: "Reads DIR/annotations.json (VQA v2 layout), as glimpse data generate writes it."
  )

  @Argument(help: "A dataset folder holding annotations.json.")
  var folder: String

  func run() throws {
    let rows = try answerBalance(folder: folder)
    print("type        questions  answers  majority answer   share")
    for row in rows {
      let share = (row.majorityShare * 1000).rounded() / 10
      print(
        row.type.padded(12) + String(row.questions).padded(11) + String(row.distinctAnswers).padded(9)
          + row.majorityAnswer.padded(18) + "\(share)%")
    }
  }
}

extension String {
  func padded(_ width: Int) -> String { self + String(repeating: " ", count: max(1, width - count)) }
}
