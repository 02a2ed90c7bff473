/// The caption decoders, by their config.json name.
public enum DecoderKind: String, CaseIterable, Sendable {
  case rnn, lstm, gru, attention

  public func make(vocabularySize: Int, sizes: ModelSizes) -> CaptionDecoder {
    switch self {
    case .rnn: return RNNDecoder(vocabularySize: vocabularySize, sizes: sizes)
    case .lstm: return LSTMDecoder(vocabularySize: vocabularySize, sizes: sizes)
    case .gru: return GRUDecoder(vocabularySize: vocabularySize, sizes: sizes)
    case .attention: return AttentionDecoder(vocabularySize: vocabularySize, sizes: sizes)
    }
  }
}

/// The VQA heads, by their config.json name.
public enum VQAKind: String, CaseIterable, Sendable {
  case concat, san

  public func make(questionVocabularySize: Int, answerCount: Int, sizes: ModelSizes) -> VQAHead {
    switch self {
    case .concat:
      return VQAConcat(questionVocabularySize: questionVocabularySize, answerCount: answerCount, sizes: sizes)
    case .san: return VQASAN(questionVocabularySize: questionVocabularySize, answerCount: answerCount, sizes: sizes)
    }
  }
}
