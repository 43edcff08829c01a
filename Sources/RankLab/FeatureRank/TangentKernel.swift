/// The empirical neural tangent kernel of a network on a batch: K_ij = ⟨∇θ f_i, ∇θ f_j⟩ with
/// f_i the mean of row i's outputs (for a Q-network, the mean action value): a fixed function
/// of the network, so the kernel's movement is the network's, not a greedy action flipping.
/// Fort et al. 2020 track how fast this kernel moves ("kernel velocity") as a second
/// representation-health curve.
///
/// For a linear layer W (out × in), ∇W f_i = δ_i a_iᵀ, so the kernel is a sum over layers of
/// (Δ Δᵀ) ⊙ (A Aᵀ + 1) (the 1 is the bias), with Δ the per-row pre-activation gradients and A
/// the layer's inputs: n × n GEMMs, never a per-row parameter gradient.
public final class TangentKernel {
  public let rows: Int
  /// The last kernel (rows × rows, row-major).
  public private(set) var gram: [Float]
  private var deltaGram: [Float]
  private var inputGram: [Float]
  /// d f_i / d output: 1/outputs everywhere (f is the mean output).
  private var meanOutput: [Float]
  private let workspace: MLPWorkspace

  public init(network: MLP, rows: Int) {
    self.rows = rows
    gram = [Float](repeating: 0, count: rows * rows)
    deltaGram = gram
    inputGram = gram
    meanOutput = [Float](repeating: 0, count: rows * network.outputCount)
    workspace = MLPWorkspace(for: network, capacity: rows)
  }

  /// Computes the kernel of `network` on `inputs` (rows × inputCount). Uses (and leaves
  /// modified) the network's gradient buffer: call it between, not inside, training steps.
  public func compute(network: MLP, inputs: UnsafeBufferPointer<Float>) {
    let n = rows
    let outputs = network.outputCount
    workspace.forward(network, input: inputs, rows: n)
    let share = 1 / Float(outputs)
    for i in 0..<n * outputs { meanOutput[i] = share }
    meanOutput.withUnsafeBufferPointer { workspace.backward(network, outputGradient: $0) }
    for i in 0..<n * n { gram[i] = 0 }
    for layer in 1..<network.sizes.count {
      let delta = workspace.delta(layer: layer)
      let input = workspace.activations(layer: layer - 1)
      let (width, fanIn) = (network.sizes[layer], network.sizes[layer - 1])
      guard let d = delta.baseAddress, let a = input.baseAddress else { continue }
      deltaGram.withUnsafeMutableBufferPointer { dg in
        guard let out = dg.baseAddress else { return }
        BLAS.gemm(
          false, true, m: n, n: n, k: width, d, lda: width, d, ldb: width, beta: 0, out, ldc: n)
      }
      inputGram.withUnsafeMutableBufferPointer { ig in
        guard let out = ig.baseAddress else { return }
        BLAS.gemm(
          false, true, m: n, n: n, k: fanIn, a, lda: fanIn, a, ldb: fanIn, beta: 0, out, ldc: n)
      }
      for i in 0..<n * n { gram[i] += deltaGram[i] * (inputGram[i] + 1) }
    }
  }

  /// 1 − cos(K_a, K_b) (Frobenius inner product): 0 when the kernels point the same way.
  public static func cosineDistance(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0
    var na = 0.0
    var nb = 0.0
    for i in 0..<min(a.count, b.count) {
      dot += Double(a[i]) * Double(b[i])
      na += Double(a[i]) * Double(a[i])
      nb += Double(b[i]) * Double(b[i])
    }
    guard na > 0, nb > 0 else { return .nan }
    return 1 - dot / (na.squareRoot() * nb.squareRoot())
  }
}
