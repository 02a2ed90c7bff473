#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 memory allocated once, zeroed, never moved or resized; tensors are views into it.
public final class TensorStorage: @unchecked Sendable {
  public let base: UnsafeMutablePointer<Float>
  public let count: Int
  private let mappedBytes: Int  // 0 unless mapped for huge pages

  /// On Linux, buffers of 2 MiB or more are mapped on their own, aligned to 2 MiB, and offered
  /// to the kernel for transparent huge pages (which it may give only on request): a training
  /// step sweeps more activations and gradients than the TLB covers in 4 KiB pages. They are
  /// mapped directly rather than through posix_memalign so that freeing one returns it to the
  /// system instead of leaving it in malloc's heap (README, Performance: huge pages).
  public init(count: Int) {
    precondition(count >= 0)
    self.count = count
    let bytes = max(count, 1) * MemoryLayout<Float>.stride
    #if os(Linux)
    let page = 1 << 21
    if bytes >= page, let mapped = Self.mapHugePages(bytes: bytes, page: page) {
      base = mapped.bindMemory(to: Float.self, capacity: max(count, 1))  // anonymous pages read as zeros
      mappedBytes = (bytes + page - 1) / page * page
      return
    }
    #endif
    base = .allocate(capacity: max(count, 1))
    base.initialize(repeating: 0, count: max(count, 1))
    mappedBytes = 0
  }

  #if os(Linux)
  /// A zeroed anonymous mapping of `bytes` rounded up to whole pages of `page` bytes, starting
  /// on such a page: mapped one page larger, with the unaligned ends unmapped.
  private static func mapHugePages(bytes: Int, page: Int) -> UnsafeMutableRawPointer? {
    let rounded = (bytes + page - 1) / page * page
    guard let raw = mmap(nil, rounded + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      raw != MAP_FAILED
    else { return nil }
    let head = (page - Int(bitPattern: raw) % page) % page
    if head > 0 { munmap(raw, head) }
    if page - head > 0 { munmap(raw + head + rounded, page - head) }
    madvise(raw + head, rounded, MADV_HUGEPAGE)
    return raw + head
  }
  #endif

  deinit {
    #if os(Linux)
    if mappedBytes > 0 {
      munmap(base, mappedBytes)
      return
    }
    #endif
    base.deallocate()
  }
}

/// A contiguous float32 tensor: a shape (up to 8 dimensions) over a range of shared storage.
/// Copies of a `Tensor` are views of the same memory (as in PyTorch); `copy()` makes new
/// memory. The extents are stored inline, so making a view never touches the heap: slicing
/// inside a per-step loop is free.
public struct Tensor: @unchecked Sendable {
  public let storage: TensorStorage
  public let offset: Int
  public let count: Int
  public let rank: Int
  let extents: SIMD8<Int>

  public init(zeros shape: [Int]) {
    self.init(storage: TensorStorage(count: shape.reduce(1, *)), offset: 0, shape: shape)
  }

  public init(shape: [Int], values: [Float]) {
    self.init(zeros: shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
  }

  init(storage: TensorStorage, offset: Int, shape: [Int]) {
    precondition(shape.count <= 8, "at most 8 dimensions")
    var extents = SIMD8<Int>(repeating: 1)
    for (axis, size) in shape.enumerated() { extents[axis] = size }
    self.init(storage: storage, offset: offset, rank: shape.count, extents: extents)
  }

  init(storage: TensorStorage, offset: Int, rank: Int, extents: SIMD8<Int>) {
    let count = Self.product(extents)  // unused dimensions are 1
    precondition(offset >= 0 && offset + count <= storage.count, "view outside its storage")
    self.storage = storage
    self.offset = offset
    self.rank = rank
    self.extents = extents
    self.count = count
  }

  static func product(_ extents: SIMD8<Int>) -> Int {
    var result = 1
    for axis in 0..<8 { result *= extents[axis] }
    return result
  }

  /// The sizes of every dimension (a new array: use `size(_:)` in hot loops).
  public var shape: [Int] { (0..<rank).map { extents[$0] } }

  /// The size of one dimension.
  @inline(__always) public func size(_ axis: Int) -> Int {
    precondition(axis < rank, "axis \(axis) of a rank-\(rank) tensor")
    return extents[axis]
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
    precondition(rank > 0 && index >= 0 && index < extents[0], "index \(index) outside \(shape)")
    var inner = SIMD8<Int>(repeating: 1)
    for axis in 1..<8 { inner[axis - 1] = extents[axis] }
    return Tensor(storage: storage, offset: offset + index * (count / extents[0]), rank: rank - 1, extents: inner)
  }

  /// Elements `range` along the first axis, as a view.
  public func slice(_ range: Range<Int>) -> Tensor {
    precondition(rank > 0 && range.lowerBound >= 0 && range.upperBound <= extents[0], "\(range) outside \(shape)")
    var outer = extents
    outer[0] = range.count
    return Tensor(
      storage: storage, offset: offset + range.lowerBound * (count / max(extents[0], 1)), rank: rank, extents: outer)
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

  /// Adds `other`'s elements to this tensor's; the counts must match.
  public func add(_ other: Tensor) {
    precondition(other.count == count, "adding \(other.shape) to \(shape)")
    let (target, source) = (pointer, other.pointer)
    for i in 0..<count { target[i] += source[i] }
  }
}
