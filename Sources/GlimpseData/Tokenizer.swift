/// Splits text into lower-case word tokens: letters and digits form words; spaces and
/// punctuation separate them and are dropped ("Two shapes: a Red circle." → two shapes a red circle).
public func tokenize(_ text: String) -> [String] {
  var tokens = [String]()
  var current = ""
  for character in text.lowercased() {
    if character.isLetter || character.isNumber {
      current.append(character)
    } else if !current.isEmpty {
      tokens.append(current)
      current = ""
    }
  }
  if !current.isEmpty { tokens.append(current) }
  return tokens
}
