import CKernels
import Foundation

/// Preallocated activations and backpropagated deltas for running an `MLP` on batches of up to
/// `capacity` rows, so forward and backward passes never allocate.
///
/// After `forward`, `output` and `features` (the last hidden layer, post-activation) hold the
/// batch's values; after `backward`, the network's gradient buffer has accumulated the batch's
/// gradients and `delta(layer:)` holds each layer's per-row pre-activation gradients (the
/// neural-tangent-kernel measurement reads them).
public final class MLPWorkspace {
  public let capacity: Int
  public let sizes: [Int]
  /// Rows of the last forward pass.
  public private(set) var count = 0
  private let storage: UnsafeMutablePointer<Float>
  private let activationOffsets: [Int]
  private let deltaOffsets: [Int]
  private let activation: Activation

  public init(for network: MLP, capacity: Int) {
    precondition(capacity > 0, "workspace capacity must be positive")
    self.capacity = capacity
    sizes = network.sizes
    activation = network.activation
    var offset = 0
    var activations: [Int] = []
    for size in sizes {
      activations.append(offset)
      offset += capacity * size
    }
    var deltas: [Int] = []
    for size in sizes {
      deltas.append(offset)
      offset += capacity * size
    }
    activationOffsets = activations
    deltaOffsets = deltas
    storage = .allocate(capacity: offset)
    storage.initialize(repeating: 0, count: offset)
  }

  deinit { storage.deallocate() }

  private var layerCount: Int { sizes.count - 1 }

  /// Rows × sizes[layer] values after the forward pass (layer 0 is the input).
  public func activations(layer: Int) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(
      start: storage + activationOffsets[layer], count: count * sizes[layer])
  }

  /// Rows × sizes[layer] gradients of the loss with respect to layer `layer`'s pre-activation
  /// (layer 0: with respect to the input, when asked for).
  public func delta(layer: Int) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: storage + deltaOffsets[layer], count: count * sizes[layer])
  }

  /// The network's outputs for the last batch (rows × outputs).
  public var output: UnsafeMutableBufferPointer<Float> { activations(layer: layerCount) }
  /// The last hidden layer's activations for the last batch (rows × featureCount).
  public var features: UnsafeMutableBufferPointer<Float> { activations(layer: layerCount - 1) }

  /// Runs the network on `rows` inputs (rows × inputCount, row-major).
  public func forward(_ network: MLP, input: UnsafeBufferPointer<Float>, rows: Int) {
    precondition(
      rows <= capacity && input.count >= rows * sizes[0], "batch larger than the workspace")
    count = rows
    let inputs = activations(layer: 0)
    for i in 0..<rows * sizes[0] { inputs[i] = input[i] }
    network.parameters.withUnsafeBufferPointer { p in
      guard let base = p.baseAddress else { return }
      for l in 0..<layerCount {
        let (fanIn, fanOut) = (sizes[l], sizes[l + 1])
        let a = storage + activationOffsets[l]
        let z = storage + activationOffsets[l + 1]
        BLAS.gemm(
          false, true, m: rows, n: fanOut, k: fanIn, a, lda: fanIn, base + network.weightOffsets[l],
          ldb: fanIn, beta: 0, z, ldc: fanOut)
        addBiasAndActivate(
          z, bias: base + network.biasOffsets[l], rows: rows, columns: fanOut,
          hidden: l < layerCount - 1)
      }
    }
  }

  /// One input through the network with matrix-vector products (action selection): writes the
  /// outputs into `output` (outputCount floats). Uses the first row of the workspace.
  public func forwardSingle(
    _ network: MLP, input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>
  ) {
    network.parameters.withUnsafeBufferPointer { p in
      guard let base = p.baseAddress, let x = input.baseAddress, let result = output.baseAddress
      else { return }
      var source = x
      for l in 0..<layerCount {
        let (fanIn, fanOut) = (sizes[l], sizes[l + 1])
        let isLast = l == layerCount - 1
        let y = isLast ? result : storage + activationOffsets[l + 1]
        BLAS.gemv(m: fanOut, n: fanIn, base + network.weightOffsets[l], source, beta: 0, y)
        addBiasAndActivate(
          y, bias: base + network.biasOffsets[l], rows: 1, columns: fanOut, hidden: !isLast)
        source = UnsafePointer(y)
      }
    }
  }

  @inline(__always) private func addBiasAndActivate(
    _ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int,
    hidden: Bool
  ) {
    switch (hidden, activation) {
    case (false, _):
      ranklab_bias_add(z, bias, rows, columns)
    case (true, .relu):
      ranklab_bias_relu(z, bias, rows, columns)
    case (true, .tanh):
      for r in 0..<rows {
        for j in 0..<columns {
          z[r * columns + j] = Float.hyperbolicTangent(z[r * columns + j] + bias[j])
        }
      }
    }
  }

  /// Backpropagates `outputGradient` (rows × outputs, the loss gradient with respect to the
  /// outputs of the last forward pass), plus an optional `featureGradient` added at the last
  /// hidden layer (rank penalty, DR3), accumulating into `network.gradients` (or, with
  /// `accumulate: false`, overwriting them: no separate zeroing pass). With `inputGradient`,
  /// `delta(layer: 0)` receives the gradient with respect to the input.
  public func backward(
    _ network: MLP, outputGradient: UnsafeBufferPointer<Float>,
    featureGradient: UnsafeBufferPointer<Float>? = nil, inputGradient: Bool = false,
    accumulate: Bool = true
  ) {
    let rows = count
    let top = delta(layer: layerCount)
    for i in 0..<rows * sizes[layerCount] { top[i] = outputGradient[i] }
    network.parameters.withUnsafeBufferPointer { p in
      network.gradients.withUnsafeMutableBufferPointer { g in
        guard let weights = p.baseAddress, let grads = g.baseAddress else { return }
        for l in stride(from: layerCount, to: 0, by: -1) {
          let (fanIn, fanOut) = (sizes[l - 1], sizes[l])
          let d = storage + deltaOffsets[l]
          let a = storage + activationOffsets[l - 1]
          let w = network.weightOffsets[l - 1]
          let b = network.biasOffsets[l - 1]
          BLAS.gemm(
            true, false, m: fanOut, n: fanIn, k: rows, d, lda: fanOut, a, ldb: fanIn,
            beta: accumulate ? 1 : 0, grads + w, ldc: fanIn)
          if !accumulate { (grads + b).update(repeating: 0, count: fanOut) }
          ranklab_column_sums_add(grads + b, d, rows, fanOut)
          guard l > 1 || inputGradient else { continue }
          let below = storage + deltaOffsets[l - 1]
          BLAS.gemm(
            false, false, m: rows, n: fanIn, k: fanOut, d, lda: fanOut, weights + w, ldb: fanIn,
            beta: 0, below, ldc: fanIn)
          if l - 1 == layerCount - 1, let extra = featureGradient {
            for i in 0..<rows * fanIn { below[i] += extra[i] }
          }
          if l > 1 { multiplyByActivationDerivative(below, activations: a, count: rows * fanIn) }
        }
      }
    }
  }

  @inline(__always) private func multiplyByActivationDerivative(
    _ d: UnsafeMutablePointer<Float>, activations a: UnsafePointer<Float>, count: Int
  ) {
    switch activation {
    case .relu: ranklab_relu_backward(d, a, count)
    case .tanh: for i in 0..<count { d[i] *= 1 - a[i] * a[i] }
    }
  }
}

extension Float {
  /// tanh through the C library.
  @inline(__always) static func hyperbolicTangent(_ x: Float) -> Float { Foundation.tanh(x) }
}
