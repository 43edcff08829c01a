/// The two remedies for rank collapse that act on a minibatch's penultimate features Φ
/// (rows × d, row-major). Each returns its value and writes dValue/dΦ (unscaled: the agent
/// multiplies by its coefficient when adding it to the network's feature gradient).
public enum RankRegularizers {
  /// Kumar et al. 2020's penalty σ_max(Φ)² − σ_min(Φ)² on the first `distinctRows` rows of Φ
  /// (the minibatch's distinct states, `DistinctRows`; the rows after them must be zero), with
  /// σ_min the smallest of its min(distinctRows, d) singular values: a duplicated state would
  /// make σ_min 0 and the penalty a plain spectral-norm shrink. Since dσ/dΦ = u vᵀ for a
  /// singular triplet, the gradient is 2σ₁ u₁ v₁ᵀ − 2σ_k u_k v_kᵀ (zero on the padding rows).
  /// `svd` must have been made with vectors for Φ's shape; it is reused, so the penalty
  /// allocates nothing.
  public static func spectralPenalty(
    features: UnsafeBufferPointer<Float>, distinctRows: Int? = nil,
    svd: SingularValueDecomposition, gradient: UnsafeMutableBufferPointer<Float>
  ) -> Float {
    let (rows, columns, rank) = (svd.rows, svd.columns, svd.rank)
    let k = min(rank, distinctRows ?? rows)
    guard k > 0, svd.decompose(features) else {
      // LAPACK failed (NaN features from a diverged network): no push, and a NaN to log.
      for i in 0..<rows * columns { gradient[i] = 0 }
      return .nan
    }
    let sMax = svd.values[0]
    let sMin = svd.values[k - 1]
    svd.leftVectors.withUnsafeBufferPointer { u in
      svd.rightVectors.withUnsafeBufferPointer { v in
        for i in 0..<rows {
          let uMax = 2 * sMax * u[i * rank]
          let uMin = 2 * sMin * u[i * rank + k - 1]
          for j in 0..<columns {
            gradient[i * columns + j] = uMax * v[j] - uMin * v[(k - 1) * columns + j]
          }
        }
      }
    }
    return sMax * sMax - sMin * sMin
  }

  /// DR3 (Kumar et al. 2021) as a mean over the minibatch, (1/n) Σ_i ⟨φ(s_i, a_i), φ(s'_i,
  /// a'_i)⟩, the co-adaptation of current and next-state features, on the scale of the mean TD
  /// loss (a sum would be n times larger). Gradients: Φ′/n for Φ and Φ/n for Φ′.
  public static func dr3(
    features: UnsafeBufferPointer<Float>, nextFeatures: UnsafeBufferPointer<Float>, rows: Int,
    gradient: UnsafeMutableBufferPointer<Float>, nextGradient: UnsafeMutableBufferPointer<Float>?
  ) -> Float {
    let scale = 1 / Float(max(1, rows))
    var total: Float = 0
    for i in 0..<features.count {
      total += features[i] * nextFeatures[i]
      gradient[i] = nextFeatures[i] * scale
      nextGradient?[i] = features[i] * scale
    }
    return total * scale
  }
}

/// The distinct rows of a minibatch (bit-identical observations are one state), found without
/// allocating: `compact` gathers one copy of each distinct row to the front of a matrix (zeros
/// after), and `scatter` hands a gradient on those rows back to each state's first occurrence
/// (its duplicates get zero: the same features, counted once).
public struct DistinctRows {
  public let capacity: Int
  /// How many distinct rows the last `find` saw.
  public private(set) var count = 0
  /// For each distinct row, the index of its first occurrence in the batch.
  public private(set) var firstOccurrence: [Int]
  private var hashes: [UInt64]

  public init(capacity: Int) {
    self.capacity = capacity
    firstOccurrence = [Int](repeating: 0, count: capacity)
    hashes = [UInt64](repeating: 0, count: capacity)
  }

  /// Finds the distinct rows among `rows` rows of `width` floats.
  public mutating func find(_ matrix: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
    precondition(rows <= capacity, "more rows than the capacity")
    count = 0
    for i in 0..<rows {
      // FNV-1a over the bit patterns; equal hashes are confirmed element by element.
      var hash: UInt64 = 0xcbf2_9ce4_8422_2325
      for j in 0..<width {
        hash = (hash ^ UInt64(matrix[i * width + j].bitPattern)) &* 0x100_0000_01b3
      }
      var duplicate = false
      for r in 0..<count where hashes[r] == hash {
        let first = firstOccurrence[r]
        var equal = true
        for j in 0..<width
        where matrix[i * width + j].bitPattern != matrix[first * width + j].bitPattern {
          equal = false
          break
        }
        if equal {
          duplicate = true
          break
        }
      }
      if !duplicate {
        hashes[count] = hash
        firstOccurrence[count] = i
        count += 1
      }
    }
  }

  /// Writes the distinct rows of `matrix` (`width` floats each) to the front of `compacted`,
  /// zeros after, up to `rows` rows in all.
  public func compact(
    _ matrix: UnsafeBufferPointer<Float>, width: Int, rows: Int,
    into compacted: UnsafeMutableBufferPointer<Float>
  ) {
    for r in 0..<count {
      let source = firstOccurrence[r] * width
      for j in 0..<width { compacted[r * width + j] = matrix[source + j] }
    }
    for i in (count * width)..<(rows * width) { compacted[i] = 0 }
  }

  /// The inverse of `compact` for gradients: row r of `compactedGradient` goes to the r-th
  /// distinct row's first occurrence in `gradient`; every other row of `gradient` is zero.
  public func scatter(
    _ compactedGradient: UnsafeBufferPointer<Float>, width: Int, rows: Int,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) {
    for i in 0..<(rows * width) { gradient[i] = 0 }
    for r in 0..<count {
      let target = firstOccurrence[r] * width
      for j in 0..<width { gradient[target + j] = compactedGradient[r * width + j] }
    }
  }
}
