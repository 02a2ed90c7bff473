/// The formats Glimpse decodes, told apart by their first bytes, never by the file's name.
public enum ImageFormat: String, Sendable {
  case png = "PNG"
  case jpeg = "JPEG"

  static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
    if bytes.starts(with: pngSignature) { return .png }
    if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
    return nil
  }

  /// Most of the PNG signature is there but a byte is wrong, as after a text-mode transfer.
  public static func looksLikeDamagedPNG(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= 8 else { return false }
    let matching = zip(bytes.prefix(8), pngSignature).filter { $0 == $1 }.count
    return matching >= 5
  }
}
