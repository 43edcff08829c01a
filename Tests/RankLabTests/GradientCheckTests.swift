import Environments
import Testing

@testable import RankLab

/// Every layer, loss and regularizer's analytic gradient against central finite differences.
@Suite struct GradientCheckTests {
  /// Central difference of `f` with respect to x[i], in Double around Float parameters.
  static func numeric(_ x: [Float], _ i: Int, h: Float = 1e-2, _ f: ([Float]) -> Double) -> Double {
    var shifted = x
    shifted[i] = x[i] + h
    let plus = f(shifted)
    shifted[i] = x[i] - h
    let minus = f(shifted)
    return (plus - minus) / Double(2 * h)
  }

  static func close(_ a: Double, _ b: Double, tolerance: Double = 2e-2) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
  }

  static func randoms(_ n: Int, _ rng: inout PCG64, scale: Double = 1) -> [Float] {
    (0..<n).map { _ in Float(rng.uniform(-scale, scale)) }
  }

  @Test(arguments: Activation.allCases)
  func mlpParameterFeatureAndInputGradients(activation: Activation) {
    var rng = PCG64(seed: 1)
    let net = MLP(sizes: [3, 5, 4, 2], activation: activation, rng: &rng)
    let ws = MLPWorkspace(for: net, capacity: 4)
    let rows = 4
    let input = Self.randoms(rows * 3, &rng)
    let c = Self.randoms(rows * 2, &rng)  // loss = Σ c ⊙ output + Σ e ⊙ features
    let e = Self.randoms(rows * 4, &rng)
    func loss() -> Double {
      input.withUnsafeBufferPointer { ws.forward(net, input: $0, rows: rows) }
      return readLoss()
    }
    func readLoss() -> Double {
      var total = 0.0
      for i in 0..<rows * 2 { total += Double(c[i] * ws.output[i]) }
      for i in 0..<rows * 4 { total += Double(e[i] * ws.features[i]) }
      return total
    }
    _ = loss()
    net.zeroGradients()
    c.withUnsafeBufferPointer { cb in
      e.withUnsafeBufferPointer { eb in
        ws.backward(net, outputGradient: cb, featureGradient: eb, inputGradient: true)
      }
    }
    let analyticInput = Array(ws.delta(layer: 0))
    let analytic = net.gradients
    let parameters = net.parameters
    for i in stride(from: 0, to: parameters.count, by: 3) {
      let n = Self.numeric(parameters, i, h: 1e-3) {
        net.parameters = $0
        return loss()
      }
      #expect(
        Self.close(Double(analytic[i]), n), "parameter \(i): analytic \(analytic[i]) numeric \(n)")
    }
    net.parameters = parameters
    let inputs = input
    for i in 0..<inputs.count {
      let n = Self.numeric(inputs, i, h: 1e-3) {
        $0.withUnsafeBufferPointer { ws.forward(net, input: $0, rows: rows) }
        return readLoss()
      }
      #expect(
        Self.close(Double(analyticInput[i]), n),
        "input \(i): analytic \(analyticInput[i]) numeric \(n)")
    }
  }

  @Test func singleStateForwardMatchesBatchForward() {
    var rng = PCG64(seed: 2)
    let net = MLP(sizes: [6, 16, 16, 3], rng: &rng)
    let ws = MLPWorkspace(for: net, capacity: 2)
    let x = Self.randoms(6, &rng)
    var single = [Float](repeating: 0, count: 3)
    x.withUnsafeBufferPointer { xb in
      single.withUnsafeMutableBufferPointer { ws.forwardSingle(net, input: xb, output: $0) }
      ws.forward(net, input: xb, rows: 1)
    }
    for j in 0..<3 { #expect(abs(single[j] - ws.output[j]) < 1e-5) }
  }

  typealias Loss = (
    UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>
  ) -> Float

  @Test(arguments: ["mse", "huber"])
  func regressionLosses(name: String) {
    let loss: Loss =
      name == "mse"
      ? { Losses.meanSquaredError($0, $1, gradient: $2) } : { Losses.huber($0, $1, gradient: $2) }
    var rng = PCG64(seed: 3)
    let x = Self.randoms(8, &rng, scale: 3)
    let y = Self.randoms(8, &rng, scale: 3)
    var g = [Float](repeating: 0, count: 8)
    var scratch = g
    _ = x.withUnsafeBufferPointer { xb in
      y.withUnsafeBufferPointer { yb in g.withUnsafeMutableBufferPointer { loss(xb, yb, $0) } }
    }
    for i in 0..<8 {
      let n = Self.numeric(x, i, h: 1e-3) { x in
        Double(
          x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
              scratch.withUnsafeMutableBufferPointer { loss(xb, yb, $0) }
            }
          })
      }
      #expect(Self.close(Double(g[i]), n), "\(name) \(i): \(g[i]) vs \(n)")
    }
  }

  @Test(arguments: [Float(1), 4])
  func crossEntropyAndKLGradients(temperature: Float) {
    var rng = PCG64(seed: 4)
    let (rows, columns) = (3, 4)
    let z0 = Self.randoms(rows * columns, &rng, scale: 2)
    var p = Self.randoms(rows * columns, &rng, scale: 1).map { abs($0) + 0.1 }
    for r in 0..<rows {
      let s = p[r * columns..<(r + 1) * columns].reduce(0, +)
      for j in 0..<columns { p[r * columns + j] /= s }
    }
    let labels: [Int32] = [0, 3, 1]
    var g = [Float](repeating: 0, count: rows * columns)
    var scratch = g
    func soft(_ grad: inout [Float], _ z: [Float] = z0) -> Float {
      z.withUnsafeBufferPointer { zb in
        p.withUnsafeBufferPointer { pb in
          grad.withUnsafeMutableBufferPointer {
            Losses.klDivergence(
              targets: pb, logits: zb, rows: rows, columns: columns, temperature: temperature,
              gradient: $0)
          }
        }
      }
    }
    func hard(_ grad: inout [Float], _ z: [Float] = z0) -> Float {
      z.withUnsafeBufferPointer { zb in
        labels.withUnsafeBufferPointer { lb in
          grad.withUnsafeMutableBufferPointer {
            Losses.crossEntropy(logits: zb, labels: lb, rows: rows, columns: columns, gradient: $0)
          }
        }
      }
    }
    let kl = soft(&g)
    #expect(kl >= -1e-6)
    for i in 0..<z0.count {
      let n = Self.numeric(z0, i, h: 1e-3) { Double(soft(&scratch, $0)) }
      #expect(Self.close(Double(g[i]), n), "kl \(i): \(g[i]) vs \(n)")
    }
    _ = hard(&g)
    for i in 0..<z0.count {
      let n = Self.numeric(z0, i, h: 1e-3) { Double(hard(&scratch, $0)) }
      #expect(Self.close(Double(g[i]), n), "ce \(i): \(g[i]) vs \(n)")
    }
  }

  @Test func spectralPenaltyGradient() {
    var rng = PCG64(seed: 5)
    let (rows, columns) = (7, 4)
    let phi0 = Self.randoms(rows * columns, &rng)
    let svd = SingularValueDecomposition(rows: rows, columns: columns, vectors: true)
    var g = [Float](repeating: 0, count: rows * columns)
    var scratch = g
    func penalty(_ grad: inout [Float], _ phi: [Float] = phi0) -> Float {
      phi.withUnsafeBufferPointer { f in
        grad.withUnsafeMutableBufferPointer {
          RankRegularizers.spectralPenalty(features: f, svd: svd, gradient: $0)
        }
      }
    }
    _ = penalty(&g)
    for i in 0..<phi0.count {
      let n = Self.numeric(phi0, i, h: 1e-3) { Double(penalty(&scratch, $0)) }
      #expect(Self.close(Double(g[i]), n), "penalty \(i): \(g[i]) vs \(n)")
    }
    // Features of a diverged network: no push and a NaN to log, not the last step's vectors.
    var broken = phi0
    broken[3] = .nan
    #expect(penalty(&g, broken).isNaN)
    #expect(g.allSatisfy { $0 == 0 })
  }

  @Test func spectralPenaltyOnDistinctRowsGradient() {
    // 10 rows of 6 features, 4 of them distinct: compacted to 4 rows and 6 zero rows, the
    // penalty's σ_min is the 4th singular value, not the padding's 0.
    var rng = PCG64(seed: 8)
    let (rows, columns, distinct) = (10, 6, 4)
    let unique = Self.randoms(distinct * columns, &rng)
    var batch = [Float](repeating: 0, count: rows * columns)
    let source = [0, 1, 0, 2, 3, 3, 1, 0, 2, 3]
    for i in 0..<rows {
      for j in 0..<columns { batch[i * columns + j] = unique[source[i] * columns + j] }
    }
    var finder = DistinctRows(capacity: rows)
    batch.withUnsafeBufferPointer { finder.find($0, rows: rows, width: columns) }
    #expect(finder.count == distinct && finder.firstOccurrence.prefix(4) == [0, 1, 3, 4])
    var compacted = batch
    batch.withUnsafeBufferPointer { b in
      compacted.withUnsafeMutableBufferPointer {
        finder.compact(b, width: columns, rows: rows, into: $0)
      }
    }
    let phi0 = Array(compacted)
    #expect(Array(phi0.prefix(distinct * columns)) == unique)
    let svd = SingularValueDecomposition(rows: rows, columns: columns, vectors: true)
    var g = [Float](repeating: 0, count: rows * columns)
    var scratch = g
    func penalty(_ grad: inout [Float], _ phi: [Float] = phi0) -> Float {
      phi.withUnsafeBufferPointer { f in
        grad.withUnsafeMutableBufferPointer {
          RankRegularizers.spectralPenalty(
            features: f, distinctRows: distinct, svd: svd, gradient: $0)
        }
      }
    }
    let value = penalty(&g)
    #expect(svd.values[distinct - 1] > 0.05 && svd.values[distinct] < 1e-5)
    let s = svd.values
    #expect(abs(value - (s[0] * s[0] - s[distinct - 1] * s[distinct - 1])) < 1e-4)
    // Finite differences on the distinct rows (the padding stays zero).
    for i in 0..<(distinct * columns) {
      let n = Self.numeric(phi0, i, h: 1e-3) { Double(penalty(&scratch, $0)) }
      #expect(Self.close(Double(g[i]), n), "penalty \(i): \(g[i]) vs \(n)")
    }
    // The gradient goes back to each state's first occurrence only.
    var scattered = g
    g.withUnsafeBufferPointer { c in
      scattered.withUnsafeMutableBufferPointer {
        finder.scatter(c, width: columns, rows: rows, into: $0)
      }
    }
    for (r, first) in [0, 1, 3, 4].enumerated() {
      #expect(
        Array(scattered[(first * columns)..<((first + 1) * columns)])
          == Array(g[(r * columns)..<((r + 1) * columns)]))
    }
    for i in [2, 5, 6, 7, 8, 9] {
      #expect(scattered[(i * columns)..<((i + 1) * columns)].allSatisfy { $0 == 0 })
    }
  }

  @Test func dr3Gradients() {
    var rng = PCG64(seed: 6)
    let phi = Self.randoms(12, &rng)
    let next = Self.randoms(12, &rng)
    var g = [Float](repeating: 0, count: 12)
    var gNext = g
    var scratch = g
    func value(_ phi: [Float], _ next: [Float]) -> Double {
      Double(
        phi.withUnsafeBufferPointer { a in
          next.withUnsafeBufferPointer { b in
            scratch.withUnsafeMutableBufferPointer {
              RankRegularizers.dr3(
                features: a, nextFeatures: b, rows: 3, gradient: $0, nextGradient: nil)
            }
          }
        })
    }
    _ = phi.withUnsafeBufferPointer { a in
      next.withUnsafeBufferPointer { b in
        g.withUnsafeMutableBufferPointer { gb in
          gNext.withUnsafeMutableBufferPointer {
            RankRegularizers.dr3(
              features: a, nextFeatures: b, rows: 3, gradient: gb, nextGradient: $0)
          }
        }
      }
    }
    // A mean over the 3 rows, not a sum.
    let sum = zip(phi, next).map { Double($0) * Double($1) }.reduce(0, +)
    #expect(abs(value(phi, next) - sum / 3) < 1e-5)
    for i in 0..<12 {
      #expect(Self.close(Double(g[i]), Self.numeric(phi, i) { value($0, next) }))
      #expect(Self.close(Double(gNext[i]), Self.numeric(next, i) { value(phi, $0) }))
    }
  }
}
