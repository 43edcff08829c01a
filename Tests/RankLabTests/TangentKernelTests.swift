import Environments
import Testing

@testable import RankLab

@Suite struct TangentKernelTests {
  /// The layer-wise Gram formula equals dot products of per-row parameter gradients of the
  /// mean output, computed one row at a time.
  @Test func kernelMatchesPerRowGradientDotProducts() {
    var rng = PCG64(seed: 11)
    let net = MLP(sizes: [5, 12, 9, 3], rng: &rng)
    let n = 6
    let inputs = (0..<n * 5).map { _ in Float(rng.uniform(-1, 1)) }
    let kernel = TangentKernel(network: net, rows: n)
    inputs.withUnsafeBufferPointer { kernel.compute(network: net, inputs: $0) }

    let single = MLPWorkspace(for: net, capacity: 1)
    var gradients: [[Float]] = []
    for i in 0..<n {
      let row = Array(inputs[i * 5..<(i + 1) * 5])
      row.withUnsafeBufferPointer { single.forward(net, input: $0, rows: 1) }
      // f_i is the mean of the three outputs: d f / d output = 1/3 each.
      let mean = [Float](repeating: 1.0 / 3, count: 3)
      net.zeroGradients()
      mean.withUnsafeBufferPointer { single.backward(net, outputGradient: $0) }
      gradients.append(net.gradients)
    }
    for i in 0..<n {
      for j in 0..<n {
        let direct = zip(gradients[i], gradients[j]).reduce(0.0) {
          $0 + Double($1.0) * Double($1.1)
        }
        let ours = Double(kernel.gram[i * n + j])
        #expect(
          abs(ours - direct) <= 1e-3 * max(1, abs(direct)), "K[\(i),\(j)] \(ours) vs \(direct)")
      }
    }
    #expect(TangentKernel.cosineDistance(kernel.gram, kernel.gram) < 1e-9)
  }
}
