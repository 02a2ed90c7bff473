/// Decodes standard base64 (RFC 4648, `+` and `/`, padding optional); nil for anything else.
/// A `data:…;base64,` prefix, as a browser's FileReader gives, is skipped.
func decodeBase64(_ text: String) -> [UInt8]? {
  var bytes = Array(text.utf8)
  if bytes.starts(with: Array("data:".utf8)), let comma = bytes.firstIndex(of: UInt8(ascii: ",")) {
    bytes.removeSubrange(...comma)
  }
  while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
  guard bytes.count % 4 != 1 else { return nil }
  var out = [UInt8]()
  out.reserveCapacity(bytes.count * 3 / 4)
  var accumulator: UInt32 = 0, bits = 0
  for byte in bytes {
    let value: UInt32
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
    case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
    case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
    case UInt8(ascii: "+"): value = 62
    case UInt8(ascii: "/"): value = 63
    default: return nil
    }
    accumulator = (accumulator << 6) | value
    bits += 6
    if bits >= 8 {
      bits -= 8
      out.append(UInt8((accumulator >> UInt32(bits)) & 0xff))
    }
  }
  return out
}
