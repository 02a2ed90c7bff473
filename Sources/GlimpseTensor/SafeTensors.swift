import GlimpseIO

/// The element types Glimpse reads from safetensors files (all become float32) and writes.
public enum SafeTensorsDType: String, Sendable {
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"

  var size: Int { self == .f32 ? 4 : 2 }
}

/// A checkpoint's tensors in file order, and its `__metadata__`.
public struct SafeTensorsContents {
  public var tensors: [(name: String, tensor: Tensor)]
  public var metadata: [(String, String)]
  /// Each tensor's stored element type, by name.
  public var dtypes: [String: SafeTensorsDType]

  public init(
    tensors: [(name: String, tensor: Tensor)], metadata: [(String, String)] = [],
    dtypes: [String: SafeTensorsDType] = [:]
  ) {
    self.tensors = tensors
    self.metadata = metadata
    self.dtypes = dtypes
  }

  public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
}

/// Why a safetensors file was refused; `readSafeTensors(path:)` wraps it in a FileError.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// The largest header accepted (the format's own readers use 100 MB).
public let safeTensorsMaxHeader = 100_000_000

/// Reads a safetensors file strictly: the header length must fit, the header must be a JSON
/// object, every tensor must have a known dtype, a shape whose size matches its byte range,
/// and a range inside the data that overlaps no other. F16 and BF16 become float32.
public func readSafeTensors(bytes: [UInt8]) throws(SafeTensorsError) -> SafeTensorsContents {
  guard bytes.count >= 8 else {
    throw SafeTensorsError("file is \(bytes.count) bytes, too short for the 8-byte header length")
  }
  var length: UInt64 = 0
  for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
  guard length <= UInt64(safeTensorsMaxHeader) else {
    throw SafeTensorsError("header length \(length) is over the limit of \(safeTensorsMaxHeader) bytes")
  }
  guard length <= UInt64(bytes.count - 8) else {
    throw SafeTensorsError("header length \(length) runs past the end of the file (\(bytes.count) bytes)")
  }
  let headerEnd = 8 + Int(length)
  let header: JSONValue
  do {
    header = try parseJSON(bytes[8..<headerEnd])
  } catch {
    throw SafeTensorsError("header is not valid JSON: \(error)")
  }
  guard let members = header.object else { throw SafeTensorsError("header is not a JSON object") }
  let dataCount = bytes.count - headerEnd
  var tensors = [(name: String, tensor: Tensor)]()
  var metadata = [(String, String)]()
  var dtypes = [String: SafeTensorsDType]()
  var ranges = [(name: String, start: Int, end: Int)]()
  for (name, entry) in members {
    if name == "__metadata__" {
      guard let pairs = entry.object, pairs.allSatisfy({ $0.1.string != nil }) else {
        throw SafeTensorsError("__metadata__ must map strings to strings")
      }
      metadata = pairs.map { ($0.0, $0.1.string!) }
      continue
    }
    guard entry.object != nil else { throw SafeTensorsError("tensor '\(excerpt(name))': entry is not an object") }
    guard let dtypeName = entry["dtype"]?.string else {
      throw SafeTensorsError("tensor '\(excerpt(name))': missing dtype")
    }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
      throw SafeTensorsError("tensor '\(excerpt(name))': unsupported dtype \(dtypeName) (F32, F16 and BF16 are read)")
    }
    guard let shapeValues = entry["shape"]?.array else {
      throw SafeTensorsError("tensor '\(excerpt(name))': missing shape")
    }
    let shape = shapeValues.compactMap(\.integer)
    guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
      throw SafeTensorsError("tensor '\(excerpt(name))': shape must be a list of non-negative integers")
    }
    guard let offsets = entry["data_offsets"]?.array?.compactMap(\.integer), offsets.count == 2 else {
      throw SafeTensorsError("tensor '\(excerpt(name))': data_offsets must be two integers")
    }
    let (start, end) = (offsets[0], offsets[1])
    var elements = 1
    for dimension in shape {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw SafeTensorsError("tensor '\(excerpt(name))': shape \(shape) is too large") }
      elements = product
    }
    guard start >= 0, end >= start, end - start == elements * dtype.size else {
      throw SafeTensorsError(
        """
        tensor '\(excerpt(name))': shape \(shape) of \(dtype.rawValue) needs \(elements * dtype.size) bytes but \
        data_offsets [\(start), \(end)] span \(end - start)
        """
      )
    }
    guard end <= dataCount else {
      throw SafeTensorsError(
        "tensor '\(excerpt(name))': data_offsets [\(start), \(end)] run past the end of the data (\(dataCount) bytes)")
    }
    ranges.append((name, start, end))
    let tensor = Tensor(zeros: shape)
    bytes.withUnsafeBytes { raw in
      decodeElements(raw.baseAddress! + headerEnd + start, dtype, elements, into: tensor.pointer)
    }
    tensors.append((name, tensor))
    dtypes[name] = dtype
  }
  let sorted = ranges.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
  for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
    throw SafeTensorsError("tensors '\(excerpt(a.name))' and '\(excerpt(b.name))' overlap")
  }
  return SafeTensorsContents(tensors: tensors, metadata: metadata, dtypes: dtypes)
}

/// Reads the safetensors file at `path`; every failure is a FileError naming the file.
public func readSafeTensors(path: String) throws -> SafeTensorsContents {
  let bytes = try readFileBytes(path)
  do {
    return try readSafeTensors(bytes: bytes)
  } catch {
    throw FileError(path, error.reason)
  }
}

private func decodeElements(
  _ source: UnsafeRawPointer, _ dtype: SafeTensorsDType, _ count: Int, into target: UnsafeMutablePointer<Float>
) {
  switch dtype {
  case .f32:
    for i in 0..<count {
      target[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    }
  case .f16:
    for i in 0..<count {
      target[i] = Float(
        Float16(bitPattern: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
    }
  case .bf16:
    for i in 0..<count {
      target[i] = Float(
        bitPattern: UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
    }
  }
}

/// The bytes of a safetensors file: tensors in the given order, stored as `dtype` (F32, or F16
/// to halve a shipped model, rounding to nearest), the header padded with spaces to 8 bytes.
public func encodeSafeTensors(
  _ tensors: [(name: String, tensor: Tensor)], metadata: [(String, String)] = [], dtype: SafeTensorsDType = .f32
) -> [UInt8] {
  precondition(dtype != .bf16, "Glimpse writes F32 or F16")
  var members = [(String, JSONValue)]()
  if !metadata.isEmpty { members.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))) }
  var offset = 0
  for (name, tensor) in tensors {
    let size = tensor.count * dtype.size
    members.append(
      (
        name,
        .object([
          ("dtype", .string(dtype.rawValue)),
          ("shape", .array(tensor.shape.map { .number(Double($0)) })),
          ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + size))])),
        ])
      ))
    offset += size
  }
  var header = Array(JSONValue.object(members).text.utf8)
  while header.count % 8 != 0 { header.append(0x20) }
  var out = [UInt8]()
  out.reserveCapacity(8 + header.count + offset)
  for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i)))) }
  out += header
  for (_, tensor) in tensors {
    for i in 0..<tensor.count {
      let value = tensor.pointer[i]
      if dtype == .f32 {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
      } else {
        withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { out += $0 }
      }
    }
  }
  return out
}

/// Writes a safetensors file atomically.
public func writeSafeTensors(
  path: String, _ tensors: [(name: String, tensor: Tensor)], metadata: [(String, String)] = [],
  dtype: SafeTensorsDType = .f32
) throws {
  try writeFileAtomically(path, encodeSafeTensors(tensors, metadata: metadata, dtype: dtype))
}
