import Foundation

/// Rank diagnostics of a feature matrix from its descending singular values σ₁ ≥ … ≥ σ_k.
public struct FeatureRank: Sendable, Equatable {
  /// Kumar et al. 2020's effective rank: the least k with Σ_{i≤k} σ_i / Σ σ_i ≥ 1 − δ.
  public var srank: Int
  /// Roy & Vetterli 2007's entropy-based effective rank, exp of the entropy of p_i = σ_i / Σ σ
  /// (logged as `rank/entropy_rank`; runs before the rename logged `rank/effective_rank`).
  public var entropyRank: Double
  public var sigmaMax: Double
  /// The smallest of all k = min(rows, columns) singular values (0 when rows < columns).
  public var sigmaMin: Double
  /// How many σ_i exceed `threshold` · σ₁ (a relative numerical rank).
  public var countAboveThreshold: Int
  /// The numerical rank: how many σ_i exceed σ₁ · max(rows, columns) · ε(Float), the tolerance
  /// of numpy's `matrix_rank` for single precision.
  public var numericalRank: Int
  /// The smallest singular value counted by `numericalRank` (0 for a zero matrix).
  public var sigmaMinNonzero: Double

  /// Computes every diagnostic from singular values sorted in descending order; `dimension` is
  /// max(rows, columns) of the decomposed matrix (it scales the numerical-rank tolerance).
  public init(
    singularValues sigma: [Float], delta: Double = 0.01, threshold: Double = 1e-3,
    dimension: Int? = nil
  ) {
    let values = sigma.map { Double(max(0, $0)) }
    let total = values.reduce(0, +)
    sigmaMax = values.first ?? 0
    sigmaMin = values.last ?? 0
    let tolerance = sigmaMax * Double(dimension ?? values.count) * Double(Float.ulpOfOne)
    let nonzero = values.filter { $0 > tolerance }
    numericalRank = nonzero.count
    sigmaMinNonzero = nonzero.last ?? 0
    guard total > 0 else {
      (srank, entropyRank, countAboveThreshold) = (0, 0, 0)
      return
    }
    var cumulative = 0.0
    var k = values.count
    for (i, s) in values.enumerated() {
      cumulative += s
      if cumulative / total >= 1 - delta {
        k = i + 1
        break
      }
    }
    srank = k
    var entropy = 0.0
    for s in values where s > 0 {
      let p = s / total
      entropy -= p * log(p)
    }
    entropyRank = exp(entropy)
    let cutoff = threshold * (values.first ?? 0)
    countAboveThreshold = values.filter { $0 > cutoff }.count
  }

  /// The metrics a rank measurement logs, by key.
  public var metrics: [(key: String, value: Double)] {
    [
      ("rank/srank", Double(srank)), ("rank/entropy_rank", entropyRank),
      ("rank/numerical_rank", Double(numericalRank)), ("rank/sigma_max", sigmaMax),
      ("rank/sigma_min", sigmaMin), ("rank/sigma_min_nonzero", sigmaMinNonzero),
      ("rank/count_above_threshold", Double(countAboveThreshold)),
    ]
  }
}
