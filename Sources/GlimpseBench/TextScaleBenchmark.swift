import GlimpseCore
import GlimpseData
import GlimpseIO

#if canImport(Glibc)
import Glibc
#endif

/// Caption files at the scale of real data, for the loaders: `captions` captions, five per
/// image, of 8–20 words drawn from `words` words with Zipf's frequencies (word k about 1/k as
/// often as the most common, as in English captions), written in the COCO, Karpathy-split and
/// Flickr8k formats into `folder`. No image files: loading skips the check for them.
public func writeTextScaleFiles(folder: String, captions: Int, words: Int, seed: UInt64 = 29) throws {
  var random = SeededGenerator(seed: seed)
  // The cumulative Zipf weights, searched with a uniform draw.
  var cumulative = [Double](), total = 0.0
  for k in 1...words {
    total += 1 / Double(k)
    cumulative.append(total)
  }
  func word() -> String {
    let draw = Double(random.nextUnit()) * total
    var (low, high) = (0, words - 1)
    while low < high {
      let middle = (low + high) / 2
      if cumulative[middle] < draw { low = middle + 1 } else { high = middle }
    }
    return "w\(low)"
  }
  let images = (captions + 4) / 5
  var sentences = [[String]]()
  for _ in 0..<captions { sentences.append((0..<(8 + Int(random.next() % 13))).map { _ in word() }) }
  func captionsOf(_ image: Int) -> Range<Int> { (image * 5)..<min(image * 5 + 5, captions) }

  var coco = "{\"images\": ["
  for image in 0..<images {
    coco += (image > 0 ? ",\n" : "") + "{\"id\": \(image), \"file_name\": \"images/\(image).jpg\"}"
  }
  coco += "],\n\"annotations\": ["
  for index in 0..<captions {
    let caption = sentences[index].joined(separator: " ")
    coco += (index > 0 ? ",\n" : "") + "{\"id\": \(index), \"image_id\": \(index / 5), \"caption\": \"\(caption)\"}"
  }
  try writeFileAtomically(folder + "/captions.json", Array((coco + "]}\n").utf8))

  var karpathy = "{\"dataset\": \"coco\", \"images\": ["
  for image in 0..<images {
    let tokens = captionsOf(image).map {
      "{\"tokens\": [" + sentences[$0].map { "\"\($0)\"" }.joined(separator: ", ") + "]}"
    }
    karpathy += (image > 0 ? ",\n" : "") + "{\"filename\": \"\(image).jpg\", \"filepath\": \"images\", "
    karpathy += "\"split\": \"train\", \"imgid\": \(image), \"sentences\": [" + tokens.joined(separator: ", ") + "]}"
  }
  try writeFileAtomically(folder + "/dataset_coco.json", Array((karpathy + "]}\n").utf8))

  var flickr = ""
  for image in 0..<images {
    for (n, index) in captionsOf(image).enumerated() {
      flickr += "images/\(image).jpg#\(n)\t" + sentences[index].joined(separator: " ") + "\n"
    }
  }
  try writeFileAtomically(folder + "/Flickr8k.token.txt", Array(flickr.utf8))
}

/// For each format of `writeTextScaleFiles`' files in `folder`: captions/s loaded
/// (`text.<format>.load`), the captions loaded (`.captions`), the words of a vocabulary built
/// with `minCount` (`.vocabulary`) and the share of tokens it encodes as `<unk>`
/// (`.unknown`, %), and, after all three, the process's peak resident memory.
public func benchmarkTextScale(folder: String, minCount: Int, repeats: Int = 3) throws -> [Measurement] {
  let options = LoadOptions(checkImageFiles: false)
  let formats: [(String, () throws -> CaptionDataset)] = [
    ("coco", { try loadCOCOCaptions(path: folder + "/captions.json", options: options) }),
    ("karpathy", { try loadKarpathySplit(path: folder + "/dataset_coco.json", split: "train", options: options) }),
    ("flickr8k", { try loadFlickr8kTokens(path: folder + "/Flickr8k.token.txt", options: options) }),
  ]
  var results = [Measurement]()
  for (name, load) in formats {
    var dataset: CaptionDataset?
    let seconds = try timeRepeats(warmup: 0, repeats: repeats) { dataset = try load() }
    let texts: [[String]] = (dataset?.images ?? []).flatMap { $0.captions.map(tokenize) }
    let vocabulary = Vocabulary.build(from: texts, minCount: minCount)
    var (tokens, unknown) = (0, 0)
    for text in texts {
      tokens += text.count
      unknown += vocabulary.encode(text).filter { $0 == SpecialToken.unknown }.count
    }
    results += [
      Measurement(
        name: "text.\(name).load", unit: "captions/s", samples: seconds.map { Double(texts.count) / $0 }),
      Measurement(name: "text.\(name).captions", unit: "captions", samples: [Double(texts.count)]),
      Measurement(name: "text.\(name).vocabulary", unit: "words", samples: [Double(vocabulary.count)]),
      Measurement(name: "text.\(name).unknown", unit: "%", samples: [100 * Double(unknown) / Double(tokens)]),
    ]
  }
  results.append(peakResidentMiB(name: "text.peak-rss"))
  return results
}
