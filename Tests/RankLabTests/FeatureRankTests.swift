import Environments
import Foundation
import Testing

@testable import RankLab

@Suite struct FeatureRankTests {
  /// A rows × columns matrix of rank `rank`: the product of two random Gaussian factors.
  static func lowRank(rows: Int, columns: Int, rank: Int, seed: UInt64) -> [Float] {
    var rng = PCG64(seed: seed)
    let a = (0..<rows * rank).map { _ in rng.nextGaussian() }
    let b = (0..<rank * columns).map { _ in rng.nextGaussian() }
    var m = [Float](repeating: 0, count: rows * columns)
    for i in 0..<rows {
      for j in 0..<columns {
        var s = 0.0
        for k in 0..<rank { s += a[i * rank + k] * b[k * columns + j] }
        m[i * columns + j] = Float(s)
      }
    }
    return m
  }

  /// Singular values by a different route: eigenvalues of ΦᵀΦ by cyclic Jacobi rotations in
  /// Double, square-rooted, descending.
  static func jacobiSingularValues(_ m: [Float], rows: Int, columns: Int) -> [Double] {
    let d = columns
    var g = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
      for j in 0..<d {
        var s = 0.0
        for r in 0..<rows { s += Double(m[r * d + i]) * Double(m[r * d + j]) }
        g[i * d + j] = s
      }
    }
    for _ in 0..<60 {
      var off = 0.0
      for p in 0..<d { for q in p + 1..<d { off += g[p * d + q] * g[p * d + q] } }
      if off < 1e-22 { break }
      for p in 0..<d {
        for q in p + 1..<d where abs(g[p * d + q]) > 1e-300 {
          let theta = (g[q * d + q] - g[p * d + p]) / (2 * g[p * d + q])
          let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<d {
            let (gkp, gkq) = (g[k * d + p], g[k * d + q])
            g[k * d + p] = c * gkp - s * gkq
            g[k * d + q] = s * gkp + c * gkq
          }
          for k in 0..<d {
            let (gpk, gqk) = (g[p * d + k], g[q * d + k])
            g[p * d + k] = c * gpk - s * gqk
            g[q * d + k] = s * gpk + c * gqk
          }
        }
      }
    }
    return (0..<d).map { max(0, g[$0 * d + $0]).squareRoot() }.sorted(by: >)
  }

  @Test(arguments: [1, 5, 17, 32])
  func sranksMatchADirectComputationOnKnownRanks(rank: Int) {
    let (rows, columns) = (128, 32)
    let m = Self.lowRank(rows: rows, columns: columns, rank: rank, seed: UInt64(rank))
    let svd = SingularValueDecomposition(rows: rows, columns: columns, vectors: false)
    #expect(m.withUnsafeBufferPointer { svd.decompose($0) })
    let reference = Self.jacobiSingularValues(m, rows: rows, columns: columns)
    for (ours, theirs) in zip(svd.values, reference) {
      #expect(abs(Double(ours) - theirs) <= 1e-3 * reference[0], "σ: \(ours) vs \(theirs)")
    }
    let measured = FeatureRank(singularValues: svd.values)
    let direct = FeatureRank(singularValues: reference.map { Float($0) })
    #expect(measured.srank == direct.srank)
    #expect(measured.srank <= rank)
    // Gaussian factors spread the spectrum, but not so much that 99% of it sits in few values.
    #expect(measured.srank >= max(1, rank * 2 / 3))
    #expect(measured.countAboveThreshold == rank)
    // LAPACK leaves the null directions at rounding level: the numerical rank sees through them.
    let numerical = FeatureRank(singularValues: svd.values, dimension: rows)
    #expect(numerical.numericalRank == rank)
    #expect(numerical.sigmaMinNonzero == Double(svd.values[rank - 1]))
  }

  @Test func diagnosticsOnAHandMadeSpectrum() {
    let r = FeatureRank(singularValues: [4, 3, 2, 1, 0], delta: 0.01, threshold: 0.3)
    #expect(r.srank == 4)  // 10/10 of the mass needs four values
    #expect(r.sigmaMax == 4 && r.sigmaMin == 0)
    let p = [0.4, 0.3, 0.2, 0.1]
    #expect(abs(r.entropyRank - exp(-p.map { $0 * log($0) }.reduce(0, +))) < 1e-12)
    #expect(r.countAboveThreshold == 3)  // 4, 3, 2 exceed 1.2
    #expect(r.numericalRank == 4 && r.sigmaMinNonzero == 1)  // the trailing 0 is not counted
    let loose = FeatureRank(singularValues: [4, 3, 2, 1], delta: 0.15)
    #expect(loose.srank == 3)  // 9/10 ≥ 0.85
  }

  @Test func adamMatchesTheReferenceUpdateInDouble() {
    var adam = Adam(parameterCount: 3, learningRate: 0.01)
    var p: [Float] = [0.5, -1, 2]
    var reference = p.map(Double.init)
    var m = [0.0, 0, 0]
    var v = [0.0, 0, 0]
    var rng = PCG64(seed: 9)
    for t in 1...20 {
      let g = (0..<3).map { _ in Float(rng.uniform(-1, 1)) }
      adam.update(&p, gradients: g)
      for i in 0..<3 {
        m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
        v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
        let mHat = m[i] / (1 - pow(0.9, Double(t)))
        let vHat = v[i] / (1 - pow(0.999, Double(t)))
        reference[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
      }
    }
    for i in 0..<3 { #expect(abs(Double(p[i]) - reference[i]) < 1e-5) }
  }
}
