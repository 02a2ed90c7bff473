import GlimpseIO
import GlimpseTensor

/// A trainable tensor, named exactly as its safetensors key, with its gradient beside it.
public struct Parameter {
  public let name: String
  public let value: Tensor
  public let gradient: Tensor

  public init(_ name: String, _ shape: [Int]) {
    self.init(name, value: Tensor(zeros: shape), gradient: Tensor(zeros: shape))
  }

  init(_ name: String, value: Tensor, gradient: Tensor) {
    self.name = name
    self.value = value
    self.gradient = gradient
  }
}

/// Why a checkpoint's tensors do not fit a model.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

extension Array where Element == Parameter {
  public func zeroGradients() { for p in self { p.gradient.zero() } }

  public var values: [Tensor] { map(\.value) }
  public var gradients: [Tensor] { map(\.gradient) }

  /// Strict loading: every parameter must be in `contents` with its exact shape, and
  /// `contents` must hold nothing else. Nothing is changed unless everything fits.
  public func load(_ contents: SafeTensorsContents) throws(CheckpointError) { try loadTensors(named, from: contents) }

  public var named: [(name: String, tensor: Tensor)] { map { ($0.name, $0.value) } }
}

/// Strict loading into named tensors: each must be in `contents` with its exact shape, and
/// `contents` must hold nothing else. Nothing is changed unless everything fits.
public func loadTensors(_ targets: [(name: String, tensor: Tensor)], from contents: SafeTensorsContents)
  throws(CheckpointError)
{
  let byName = Dictionary(contents.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
  for target in targets {
    guard let tensor = byName[target.name] else { throw CheckpointError("missing tensor '\(target.name)'") }
    guard tensor.shape == target.tensor.shape else {
      throw CheckpointError("tensor '\(target.name)' has shape \(tensor.shape), expected \(target.tensor.shape)")
    }
  }
  let expected = Set(targets.map(\.name))
  if let extra = contents.tensors.first(where: { !expected.contains($0.name) }) {
    throw CheckpointError("unexpected tensor '\(excerpt(extra.name))'")
  }
  for target in targets { target.tensor.assign(byName[target.name]!) }
}

/// Makes a model's parameters by name: new zero tensors, or, for a replica, the very tensors
/// of another instance (`sharing` its parameters), so that both read the same weights; with
/// `ownGradients`, the replica's gradients are new tensors of its own.
struct ParameterMaker {
  private let shared: [String: Parameter]
  private let ownGradients: Bool

  init(sharing parameters: [Parameter] = [], ownGradients: Bool = false) {
    shared = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
    self.ownGradients = ownGradients
  }

  func callAsFunction(_ name: String, _ shape: [Int]) -> Parameter {
    if shared.isEmpty { return Parameter(name, shape) }
    guard let parameter = shared[name], parameter.value.shape == shape else {
      preconditionFailure("a replica needs \(name) \(shape) from the model it shares")
    }
    return ownGradients ? Parameter(name, value: parameter.value, gradient: Tensor(zeros: shape)) : parameter
  }
}
