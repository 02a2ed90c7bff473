/// Decodes `input`, resizes it to `size`×`size` when asked, and writes it to `output` as PNG.
public func convertImage(input: String, output: String, size: Int?, maxPixels: Int = defaultMaxPixels) throws {
  var image = try decodeImage(path: input, maxPixels: maxPixels).image
  if let size { image = image.resized(width: size, height: size) }
  try writePNG(image, to: output)
}
