import ArgumentParser
import GlimpseIO
import GlimpseInference
import GlimpseTraining

struct AskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ask",
    abstract: "Answer questions about an image with a VQA model.",
    discussion: """
      Prints the answer to each question (with --top, the K best answers and their \
      probabilities). Words the model does not know are read as <unk>, with a warning naming \
      them. The default model is the shipped vqa-san, found in the current folder or beside the \
      executable. With --questions, each line of the file is a question; a bad line is reported \
      and the others are still answered (exit 1 if any failed).
      """
  )

  @Argument(help: "A PNG or JPEG file.")
  var image: String

  @Argument(help: "The question.")
  var question: String?

  @Option(help: "A file of questions, one per line.")
  var questions: String?

  @Option(help: "A VQA model folder.")
  var model: String?

  @Option(help: "Print the K best answers with their probabilities.")
  var top = 1

  @Flag(
    help:
      """
      Print one JSON object per question: {question, answer, top: [{answer, p}]}, and for vqa-san hops: each hop's \
      weights over the encoder's grid (location row·side + col; 8×8 for glimpse-small).
      """
  )
  var json = false

  @Option(
    help:
      """
      Write each attention hop's map over the image into this PNG (vqa-san; with several questions, one file each, \
      numbered).
      """
  )
  var attention: String?

  @OptionGroup var decode: DecodeOptions

  func validate() throws {
    guard (question == nil) != (questions == nil) else {
      throw ValidationError("give either a question or --questions FILE")
    }
    guard (1...100).contains(top) else { throw ValidationError("--top must be between 1 and 100") }
    if let attention, !attention.hasSuffix(".png") { throw ValidationError("--attention must name a .png file") }
  }

  func run() throws {
    let folder = try model ?? findShippedModel("vqa-san", executable: CommandLine.arguments[0])
    let loaded = try AnsweringModel.load(folder: folder)
    if attention != nil && loaded.kind != .san {
      throw FileError(
        folder, "the vqa-\(loaded.kind.rawValue) model has no attention; --attention needs a vqa-san model")
    }
    var asked: [(text: String, source: String)] = []
    if let question {
      asked = [(question, "")]
    } else if let questions {
      let bytes = try readFileBytes(questions)
      guard let text = String(validating: bytes, as: UTF8.self) else { throw FileError(questions, "not UTF-8 text") }
      for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
      where !line.allSatisfy(\.isWhitespace) {
        asked.append((String(line), "\(questions): line \(index + 1): "))
      }
      guard !asked.isEmpty else { throw FileError(questions, "no questions in the file") }
    }
    let questionsOfImage = try ImageQuestions(path: image, model: loaded, maxPixels: decode.maxPixels)
    var failed = false
    for (index, (text, source)) in asked.enumerated() {
      do {
        let answered = try questionsOfImage.ask(text, top: top)
        if !answered.unknownWords.isEmpty {
          printWarning("\(source)unknown words read as <unk>: \(answered.unknownWords.joined(separator: ", "))")
        }
        if json {
          let top = answered.top.map {
            JSONValue.object([("answer", .string($0.answer)), ("p", .float($0.probability))])
          }
          var fields: [(String, JSONValue)] = [
            ("question", .string(text)), ("answer", .string(answered.answer)), ("top", .array(top)),
          ]
          // vqa-san adds each hop's weights over the grid (location row·side + col).
          if !answered.hopMaps.isEmpty { fields.append(("hops", .array(answered.hopMaps.map(JSONValue.floats)))) }
          print(JSONValue.object(fields).text)
        } else {
          let answer =
            top == 1
            ? answered.answer
            : answered.top.map { "\($0.answer) (\(decimal($0.probability, 3)))" }.joined(separator: ", ")
          print(asked.count > 1 ? "\(text) \(answer)" : answer)
        }
        if let attention {
          let path =
            asked.count == 1
            ? attention : String(attention.dropLast(4)) + "-" + String(index + 1).zeroPadded(2) + ".png"
          try writeHopFigure(answered, image: questionsOfImage.image, path: path)
        }
      } catch let error as QuestionError {
        printError(source.isEmpty ? "\(error)" : "\(source)\(error)")
        failed = true
      }
    }
    if failed { throw ExitCode.failure }
  }
}
