import CKernels
import Environments

/// How hidden layers squash their pre-activations.
public enum Activation: String, Codable, Sendable, CaseIterable {
  case relu, tanh
}

/// How initial weights are drawn.
public enum Initialization: String, Codable, Sendable, CaseIterable {
  /// PyTorch's `nn.Linear` default: weights and biases ~ U(−1/√fan_in, 1/√fan_in)
  /// (kaiming_uniform with a = √5), what SB3's networks start from.
  case torch
  /// He et al. 2015: weights ~ N(0, 2/fan_in), biases 0 (suits ReLU).
  case he
  /// Glorot & Bengio 2010: weights ~ U(±√(6/(fan_in + fan_out))), biases 0 (suits tanh).
  case glorot
}

/// A multi-layer perceptron: linear layers with an activation between them and a linear output.
///
/// All parameters live in one contiguous buffer (per layer: the weights, out × in row-major,
/// then the biases), and gradients in a buffer of the same layout, so the optimizer, target
/// networks, Polyak averaging and checkpoints are each one loop or one write.
public final class MLP {
  /// Layer widths from input to output, e.g. [4, 256, 256, 2].
  public let sizes: [Int]
  public let activation: Activation
  public var parameters: [Float]
  public var gradients: [Float]
  /// Offsets of each layer's weights and biases in `parameters`.
  let weightOffsets: [Int]
  let biasOffsets: [Int]

  public var layerCount: Int { sizes.count - 1 }
  public var inputCount: Int { sizes[0] }
  public var outputCount: Int { sizes[sizes.count - 1] }
  /// Width of the last hidden layer: the features whose rank ranklab measures.
  public var featureCount: Int { sizes[sizes.count - 2] }

  public init(
    sizes: [Int], activation: Activation = .relu, initialization: Initialization = .torch,
    rng: inout PCG64
  ) {
    // No hidden layer is a linear map (a linear distillation student); its features are the
    // inputs.
    precondition(sizes.count >= 2, "an MLP needs an input and an output")
    precondition(sizes.allSatisfy { $0 > 0 }, "layer widths must be positive")
    self.sizes = sizes
    self.activation = activation
    var weights: [Int] = []
    var biases: [Int] = []
    var offset = 0
    for l in 0..<sizes.count - 1 {
      weights.append(offset)
      offset += sizes[l] * sizes[l + 1]
      biases.append(offset)
      offset += sizes[l + 1]
    }
    weightOffsets = weights
    biasOffsets = biases
    parameters = [Float](repeating: 0, count: offset)
    gradients = parameters
    for l in 0..<sizes.count - 1 {
      let (fanIn, fanOut) = (sizes[l], sizes[l + 1])
      let w = weightOffsets[l]
      let b = biasOffsets[l]
      switch initialization {
      case .torch:
        let bound = 1 / Double(fanIn).squareRoot()
        for i in 0..<fanIn * fanOut { parameters[w + i] = Float(rng.uniform(-bound, bound)) }
        for i in 0..<fanOut { parameters[b + i] = Float(rng.uniform(-bound, bound)) }
      case .he:
        let std = (2 / Double(fanIn)).squareRoot()
        for i in 0..<fanIn * fanOut { parameters[w + i] = Float(rng.nextGaussian() * std) }
      case .glorot:
        let bound = (6 / Double(fanIn + fanOut)).squareRoot()
        for i in 0..<fanIn * fanOut { parameters[w + i] = Float(rng.uniform(-bound, bound)) }
      }
    }
  }

  /// A network of the same shape (for a target network or a copy); parameters copied.
  public init(copying other: MLP) {
    sizes = other.sizes
    activation = other.activation
    weightOffsets = other.weightOffsets
    biasOffsets = other.biasOffsets
    parameters = other.parameters
    gradients = [Float](repeating: 0, count: other.parameters.count)
  }

  /// Copies all parameters from a network of the same shape (a hard target update).
  public func copyParameters(from other: MLP) {
    precondition(other.parameters.count == parameters.count, "networks differ in shape")
    parameters.withUnsafeMutableBufferPointer { p in
      other.parameters.withUnsafeBufferPointer { o in _ = p.update(fromContentsOf: o) }
    }
  }

  /// θ ← (1 − τ) θ + τ θ_other (Polyak averaging of a target network).
  public func polyakUpdate(from other: MLP, tau: Float) {
    precondition(other.parameters.count == parameters.count, "networks differ in shape")
    parameters.withUnsafeMutableBufferPointer { p in
      other.parameters.withUnsafeBufferPointer { o in
        for i in 0..<p.count { p[i] += tau * (o[i] - p[i]) }
      }
    }
  }

  /// Sets every gradient to zero.
  public func zeroGradients() {
    gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
  }

  /// The global L2 norm of the gradients.
  public func gradientNorm() -> Float {
    gradients.withUnsafeBufferPointer { g in
      Float(ranklab_sum_of_squares(g.baseAddress, g.count).squareRoot())
    }
  }

  /// Scales gradients so their global norm is at most `maxNorm`, as PyTorch's
  /// `clip_grad_norm_`; returns the norm before clipping.
  @discardableResult public func clipGradients(maxNorm: Float) -> Float {
    let norm = gradientNorm()
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
      gradients.withUnsafeMutableBufferPointer { g in ranklab_scale(g.baseAddress, g.count, scale) }
    }
    return norm
  }
}
