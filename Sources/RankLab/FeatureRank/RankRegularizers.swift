/// The two remedies for rank collapse that act on a minibatch's penultimate features Φ
/// (rows × d, row-major). Each returns its value and writes dValue/dΦ (unscaled: the agent
/// multiplies by its coefficient when adding it to the network's feature gradient).
public enum RankRegularizers {
  /// Kumar et al. 2020's penalty σ_max(Φ)² − σ_min(Φ)²; since dσ/dΦ = u vᵀ for a singular
  /// triplet, the gradient is 2σ₁ u₁ v₁ᵀ − 2σ_k u_k v_kᵀ. `svd` must have been made with vectors
  /// for Φ's shape; it is reused, so the penalty allocates nothing.
  public static func spectralPenalty(
    features: UnsafeBufferPointer<Float>, svd: SingularValueDecomposition,
    gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let (rows, columns, k) = (svd.rows, svd.columns, svd.rank)
    guard svd.decompose(features) else {
      // LAPACK failed (NaN features from a diverged network): no push, and a NaN to log.
      for i in 0..<rows * columns { gradient[i] = 0 }
      return .nan
    }
    let sMax = svd.values[0]
    let sMin = svd.values[k - 1]
    svd.leftVectors.withUnsafeBufferPointer { u in
      svd.rightVectors.withUnsafeBufferPointer { v in
        for i in 0..<rows {
          let uMax = 2 * sMax * u[i * k]
          let uMin = 2 * sMin * u[i * k + k - 1]
          for j in 0..<columns {
            gradient[i * columns + j] = uMax * v[j] - uMin * v[(k - 1) * columns + j]
          }
        }
      }
    }
    return sMax * sMax - sMin * sMin
  }

  /// DR3 (Kumar et al. 2021): Σ_i ⟨φ(s_i, a_i), φ(s'_i, a'_i)⟩, the co-adaptation of current and
  /// next-state features. Gradients: Φ' for Φ and Φ for Φ'.
  public static func dr3(
    features: UnsafeBufferPointer<Float>, nextFeatures: UnsafeBufferPointer<Float>,
    gradient: UnsafeMutableBufferPointer<Float>, nextGradient: UnsafeMutableBufferPointer<Float>?
  ) -> Float {
    var total: Float = 0
    for i in 0..<features.count {
      total += features[i] * nextFeatures[i]
      gradient[i] = nextFeatures[i]
      nextGradient?[i] = features[i]
    }
    return total
  }
}
