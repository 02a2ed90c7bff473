import GlimpseIO

/// One question about an image with its ground truth, as the VQA v2 files give it.
public struct VQAQuestion: Equatable, Sendable {
  public var id: Int
  public var imageID: Int
  public var imagePath: String
  public var question: String
  public var questionType: String
  public var answerType: String
  /// The most common answer (`multiple_choice_answer`).
  public var answer: String
  /// Every annotator's answer (one for generated scenes, ten in VQA v2).
  public var answers: [String]

  public init(
    id: Int, imageID: Int, imagePath: String, question: String, questionType: String, answerType: String,
    answer: String, answers: [String]
  ) {
    (self.id, self.imageID, self.imagePath, self.question) = (id, imageID, imagePath, question)
    (self.questionType, self.answerType, self.answer, self.answers) = (questionType, answerType, answer, answers)
  }
}

public struct QuestionDataset: Sendable {
  public var questions: [VQAQuestion]
  public var skipped: [String]
}

/// VQA v2: a questions file ({questions: [{question_id, image_id, question}]}) and an
/// annotations file ({annotations: [{question_id, image_id, question_type, answer_type,
/// multiple_choice_answer, answers: [{answer}]}]}), with image files named by `images`
/// (image id → path).
public func loadVQA(
  questionsPath: String, annotationsPath: String, images: [Int: String], options: LoadOptions = .init()
) throws -> QuestionDataset {
  let questionsJSON = try readJSONFile(questionsPath)
  let annotationsJSON = try readJSONFile(annotationsPath)
  guard let questions = questionsJSON["questions"]?.array else {
    throw FileError(questionsPath, "missing the 'questions' list")
  }
  guard let annotations = annotationsJSON["annotations"]?.array else {
    throw FileError(annotationsPath, "missing the 'annotations' list")
  }
  var questionCount = EntryCount(path: questionsPath, noun: "questions", options: options)
  var annotationCount = EntryCount(path: annotationsPath, noun: "annotations", options: options)
  var answerCount = EntryCount(path: annotationsPath, noun: "answers", options: options)
  try questionCount.add(questions.count)
  try annotationCount.add(annotations.count)
  var questionProblems = EntryProblems(path: questionsPath, options: options)
  var annotationProblems = EntryProblems(path: annotationsPath, options: options)
  var truth = [Int: (type: String, answerType: String, answer: String, answers: [String])]()
  for (index, annotation) in annotations.enumerated() {
    let entry = "annotations[\(index)]"
    guard let id = annotation["question_id"]?.integer, let answer = annotation["multiple_choice_answer"]?.string,
      let list = annotation["answers"]?.array
    else {
      try annotationProblems.report(entry, "needs 'question_id', 'multiple_choice_answer' and 'answers'")
      continue
    }
    try answerCount.add(list.count)
    let answers = list.compactMap { $0["answer"]?.string }
    guard answers.count == list.count, !answers.isEmpty else {
      try annotationProblems.report(entry, "every answer needs an 'answer' string")
      continue
    }
    truth[id] = (annotation["question_type"]?.string ?? "", annotation["answer_type"]?.string ?? "", answer, answers)
  }
  var result = [VQAQuestion]()
  for (index, question) in questions.enumerated() {
    let entry = "questions[\(index)]"
    guard let id = question["question_id"]?.integer, let imageID = question["image_id"]?.integer,
      let text = question["question"]?.string
    else {
      try questionProblems.report(entry, "needs 'question_id', 'image_id' and 'question'")
      continue
    }
    guard let imagePath = images[imageID] else {
      try questionProblems.report(entry, "question about image_id \(imageID), which has no image file")
      continue
    }
    guard let known = truth[id] else {
      try questionProblems.report(entry, "question_id \(id) has no annotation in \(annotationsPath)")
      continue
    }
    guard try questionProblems.imageExists(imagePath, entry: entry) else { continue }
    result.append(
      VQAQuestion(
        id: id, imageID: imageID, imagePath: imagePath, question: text, questionType: known.type,
        answerType: known.answerType, answer: known.answer, answers: known.answers))
  }
  return QuestionDataset(questions: result, skipped: annotationProblems.skipped + questionProblems.skipped)
}
