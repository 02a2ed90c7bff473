#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import GlimpseData

/// BLEU-1…4, ROUGE-L and CIDEr-D over a corpus, computed as the COCO caption evaluation code
/// (pycocoevalcap) computes them, on captions already tokenised into words:
/// - BLEU: corpus-level modified n-gram precision with each candidate's n-gram counts clipped by
///   their largest count in any one reference; the brevity penalty compares the total candidate
///   length with the total of each image's reference length closest to its candidate's (ties go
///   to the shorter); the same 1e-9 / 1e-15 smoothing constants.
/// - ROUGE-L: per image, the longest common subsequence against each reference, the largest
///   precision and the largest recall combined as an F-measure with β = 1.2; averaged.
/// - CIDEr-D: TF-IDF weighted n-gram vectors (n = 1…4) with document frequencies counted over
///   the references, the candidate's weights clipped by the reference's, a Gaussian length
///   penalty with σ = 6 (lengths counted, as coco-caption does, in bigrams), averaged over n and
///   references, times 10.
public struct CaptionScores: Equatable, Sendable {
  public var bleu: [Double]  // BLEU-1 … BLEU-4
  public var rougeL: Double
  public var ciderD: Double
}

public func scoreCaptions(candidates: [[String]], references: [[[String]]]) -> CaptionScores {
  precondition(
    candidates.count == references.count && !candidates.isEmpty, "one candidate and its references per image")
  return CaptionScores(
    bleu: bleuScores(candidates: candidates, references: references),
    rougeL: rougeL(candidates: candidates, references: references),
    ciderD: ciderD(candidates: candidates, references: references))
}

struct NGram: Hashable {
  var words: ArraySlice<String>
}

func ngramCounts(_ words: [String], order n: Int) -> [NGram: Int] {
  var counts = [NGram: Int]()
  for k in 1...n where words.count >= k {
    for i in 0...(words.count - k) { counts[NGram(words: words[i..<i + k]), default: 0] += 1 }
  }
  return counts
}

func bleuScores(candidates: [[String]], references: [[[String]]], order n: Int = 4) -> [Double] {
  var guess = [Double](repeating: 0, count: n), correct = [Double](repeating: 0, count: n)
  var testLength = 0.0, referenceLength = 0.0
  for (candidate, refs) in zip(candidates, references) {
    var maxCounts = [NGram: Int]()
    for ref in refs {
      for (gram, count) in ngramCounts(ref, order: n) { maxCounts[gram] = max(maxCounts[gram] ?? 0, count) }
    }
    let length = candidate.count
    let closest = refs.map(\.count).min { (abs($0 - length), $0) < (abs($1 - length), $1) } ?? 0
    testLength += Double(length)
    referenceLength += Double(closest)
    for k in 1...n { guess[k - 1] += Double(max(0, length - k + 1)) }
    for (gram, count) in ngramCounts(candidate, order: n) {
      correct[gram.words.count - 1] += Double(min(maxCounts[gram] ?? 0, count))
    }
  }
  let small = 1e-9, tiny = 1e-15
  var product = 1.0, scores = [Double]()
  for k in 0..<n {
    product *= (correct[k] + tiny) / (guess[k] + small)
    scores.append(pow(product, 1 / Double(k + 1)))
  }
  let ratio = (testLength + tiny) / (referenceLength + small)
  if ratio < 1 { scores = scores.map { $0 * exp(1 - 1 / ratio) } }
  return scores
}

func longestCommonSubsequence(_ a: [String], _ b: [String]) -> Int {
  guard !a.isEmpty, !b.isEmpty else { return 0 }
  var previous = [Int](repeating: 0, count: b.count + 1), current = previous
  for i in 1...a.count {
    for j in 1...b.count {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : max(previous[j], current[j - 1])
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

func rougeL(candidates: [[String]], references: [[[String]]], beta: Double = 1.2) -> Double {
  var total = 0.0
  for (candidate, refs) in zip(candidates, references) {
    var precision = 0.0, recall = 0.0
    for ref in refs {
      let lcs = Double(longestCommonSubsequence(ref, candidate))
      precision = max(precision, candidate.isEmpty ? 0 : lcs / Double(candidate.count))
      recall = max(recall, ref.isEmpty ? 0 : lcs / Double(ref.count))
    }
    if precision != 0 && recall != 0 {
      total += (1 + beta * beta) * precision * recall / (recall + beta * beta * precision)
    }
  }
  return total / Double(candidates.count)
}

func ciderD(candidates: [[String]], references: [[[String]]], order n: Int = 4, sigma: Double = 6) -> Double {
  var documentFrequency = [NGram: Double]()
  let referenceCounts = references.map { refs in refs.map { ngramCounts($0, order: n) } }
  for refs in referenceCounts {
    var seen = Set<NGram>()
    for counts in refs { seen.formUnion(counts.keys) }
    for gram in seen { documentFrequency[gram, default: 0] += 1 }
  }
  let logDocuments = log(Double(references.count))

  // Sums run over the n-grams in sorted order, not a dictionary's: its order changes with the
  // process's hash seed, and with it the score's last bits.
  struct Vector { var weights: [[NGram: Double]]; var grams: [[NGram]]; var norms: [Double]; var length: Int }
  func vector(_ counts: [NGram: Int]) -> Vector {
    var weights = [[NGram: Double]](repeating: [:], count: n), norms = [Double](repeating: 0, count: n)
    var grams = [[NGram]](repeating: [], count: n)
    var length = 0
    for (gram, termFrequency) in counts.sorted(by: { $0.key.words.lexicographicallyPrecedes($1.key.words) }) {
      let k = gram.words.count - 1
      let weight = Double(termFrequency) * (logDocuments - log(max(1, documentFrequency[gram] ?? 0)))
      weights[k][gram] = weight
      grams[k].append(gram)
      norms[k] += weight * weight
      if k == 1 { length += termFrequency }  // coco-caption counts the length in bigrams
    }
    return Vector(weights: weights, grams: grams, norms: norms.map { $0.squareRoot() }, length: length)
  }

  var total = 0.0
  for (candidate, refs) in zip(candidates, referenceCounts) {
    let hypothesis = vector(ngramCounts(candidate, order: n))
    var score = [Double](repeating: 0, count: n)
    for counts in refs {
      let reference = vector(counts)
      let delta = Double(hypothesis.length - reference.length)
      for k in 0..<n {
        var value = 0.0
        for gram in hypothesis.grams[k] {
          let (weight, referenceWeight) = (hypothesis.weights[k][gram]!, reference.weights[k][gram] ?? 0)
          value += min(weight, referenceWeight) * referenceWeight
        }
        if hypothesis.norms[k] != 0 && reference.norms[k] != 0 { value /= hypothesis.norms[k] * reference.norms[k] }
        score[k] += value * exp(-(delta * delta) / (2 * sigma * sigma))
      }
    }
    total += score.reduce(0, +) / Double(n) / Double(refs.count) * 10
  }
  return total / Double(candidates.count)
}
