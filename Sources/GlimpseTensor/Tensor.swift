/// Float32 memory allocated once, zeroed, never moved or resized; tensors are views into it.
public final class TensorStorage: @unchecked Sendable {
  public let base: UnsafeMutablePointer<Float>
  public let count: Int

  public init(count: Int) {
    precondition(count >= 0)
    base = .allocate(capacity: max(count, 1))
    base.initialize(repeating: 0, count: max(count, 1))
    self.count = count
  }

  deinit { base.deallocate() }
}

/// A contiguous float32 tensor: a shape over a range of shared storage. Copies of a `Tensor`
/// are views of the same memory (as in PyTorch); `copy()` makes new memory.
public struct Tensor: @unchecked Sendable {
  public let storage: TensorStorage
  public let offset: Int
  public let shape: [Int]
  public let count: Int

  public init(zeros shape: [Int]) {
    let count = shape.reduce(1, *)
    storage = TensorStorage(count: count)
    offset = 0
    self.shape = shape
    self.count = count
  }

  public init(shape: [Int], values: [Float]) {
    self.init(zeros: shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
  }

  init(storage: TensorStorage, offset: Int, shape: [Int]) {
    let count = shape.reduce(1, *)
    precondition(offset >= 0 && offset + count <= storage.count, "view outside its storage")
    self.storage = storage
    self.offset = offset
    self.shape = shape
    self.count = count
  }

  public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }
  public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
  public var values: [Float] { Array(buffer) }

  /// The same memory under another shape with as many elements.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
    return Tensor(storage: storage, offset: offset, shape: newShape)
  }

  /// Element `index` along the first axis, as a view.
  public func slice(_ index: Int) -> Tensor {
    precondition(!shape.isEmpty && (0..<shape[0]).contains(index), "index \(index) outside \(shape)")
    let inner = Array(shape.dropFirst())
    return Tensor(storage: storage, offset: offset + index * inner.reduce(1, *), shape: inner)
  }

  /// Elements `range` along the first axis, as a view.
  public func slice(_ range: Range<Int>) -> Tensor {
    precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0])
    let inner = Array(shape.dropFirst())
    let stride = inner.reduce(1, *)
    return Tensor(storage: storage, offset: offset + range.lowerBound * stride, shape: [range.count] + inner)
  }

  public func copy() -> Tensor {
    let out = Tensor(zeros: shape)
    out.pointer.update(from: pointer, count: count)
    return out
  }

  public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
  public func zero() { fill(0) }

  /// Copies `other`'s elements into this tensor's memory; the counts must match.
  public func assign(_ other: Tensor) {
    precondition(other.count == count, "assigning \(other.shape) to \(shape)")
    pointer.update(from: other.pointer, count: count)
  }
}
