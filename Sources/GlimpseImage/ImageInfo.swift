/// What a decoded file was: its format and header fields, and the layout of the decoded pixels.
public struct ImageInfo: Equatable, Sendable {
  public var format: ImageFormat
  /// Size of the decoded, upright image (after EXIF orientation for JPEG).
  public var width: Int
  public var height: Int
  /// Channels of the decoded 8-bit pixels.
  public var channels: Int
  /// Bits per sample as stored in the file.
  public var bitDepth: Int
  /// The stored colour type: `gray`, `gray+alpha`, `rgb`, `rgba`, `palette` (PNG);
  /// `gray`, `ycbcr`, `rgb`, `cmyk`, `ycck` (JPEG).
  public var colorType: String
  /// Adam7 for PNG, progressive for JPEG.
  public var interlaced: Bool
  /// JPEG only: arithmetic-coded entropy.
  public var arithmetic: Bool = false
  /// JPEG only: the EXIF orientation tag (1 = upright), already applied to the pixels.
  public var orientation: Int = 1
}

public struct DecodedImage: Sendable {
  public var image: Image
  public var info: ImageInfo
}
