import Foundation

/// Rank diagnostics of a feature matrix from its descending singular values σ₁ ≥ … ≥ σ_k.
public struct FeatureRank: Sendable, Equatable {
  /// Kumar et al. 2020's effective rank: the least k with Σ_{i≤k} σ_i / Σ σ_i ≥ 1 − δ.
  public var srank: Int
  /// Roy & Vetterli 2007's effective rank: exp of the entropy of p_i = σ_i / Σ σ.
  public var effectiveRank: Double
  public var sigmaMax: Double
  public var sigmaMin: Double
  /// How many σ_i exceed `threshold` · σ₁ (a relative numerical rank).
  public var countAboveThreshold: Int

  /// Computes every diagnostic from singular values sorted in descending order.
  public init(singularValues sigma: [Float], delta: Double = 0.01, threshold: Double = 1e-3) {
    let values = sigma.map { Double(max(0, $0)) }
    let total = values.reduce(0, +)
    sigmaMax = values.first ?? 0
    sigmaMin = values.last ?? 0
    guard total > 0 else {
      (srank, effectiveRank, countAboveThreshold) = (0, 0, 0)
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
    effectiveRank = exp(entropy)
    let cutoff = threshold * (values.first ?? 0)
    countAboveThreshold = values.filter { $0 > cutoff }.count
  }
}
