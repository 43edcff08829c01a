import CBLAS

/// Singular value decomposition of row-major n × d matrices through LAPACK's `sgesdd`, with
/// its workspace sized once, so repeated measurements do not allocate.
///
/// LAPACK is column-major: a row-major n × d matrix Φ is, read column-major, the d × n matrix
/// Φᵀ. Its singular values are Φ's; its left vectors are Φ's right vectors and vice versa.
public final class SingularValueDecomposition {
  public let rows: Int
  public let columns: Int
  /// min(rows, columns): how many singular values there are.
  public let rank: Int
  /// Descending singular values after `decompose`.
  public private(set) var values: [Float]
  /// With vectors: Φ's left singular vectors, column k at `leftVectors[i * rank + k]`
  /// (rows × rank, row-major).
  public private(set) var leftVectors: [Float]
  /// With vectors: Φ's right singular vectors, vector k at `rightVectors[k * columns + j]`
  /// (rank × columns, row-major).
  public private(set) var rightVectors: [Float]
  private let withVectors: Bool
  private var scratch: [Float]
  private var work: [Float]
  private var integerWork: [Int32]

  public init(rows: Int, columns: Int, vectors: Bool) {
    precondition(rows > 0 && columns > 0, "empty matrix")
    self.rows = rows
    self.columns = columns
    rank = min(rows, columns)
    withVectors = vectors
    values = [Float](repeating: 0, count: rank)
    leftVectors = [Float](repeating: 0, count: vectors ? rows * rank : 1)
    rightVectors = [Float](repeating: 0, count: vectors ? rank * columns : 1)
    scratch = [Float](repeating: 0, count: rows * columns)
    integerWork = [Int32](repeating: 0, count: 8 * rank)
    work = [1]
    var query: Float = 0
    _ = call(lwork: -1, workOut: &query)
    work = [Float](repeating: 0, count: max(1, Int(query)))
  }

  /// Decomposes `matrix` (rows × columns, row-major). Returns false if LAPACK did not converge.
  @discardableResult
  public func decompose(_ matrix: UnsafeBufferPointer<Float>) -> Bool {
    precondition(matrix.count >= rows * columns, "matrix smaller than declared")
    scratch.withUnsafeMutableBufferPointer { s in
      for i in 0..<rows * columns { s[i] = matrix[i] }
    }
    var unused: Float = 0
    return call(lwork: Int32(work.count), workOut: &unused) == 0
  }

  private func call(lwork: Int32, workOut: inout Float) -> Int32 {
    var jobz: CChar = withVectors ? 0x53 : 0x4E  // "S" (thin vectors) or "N"
    var m = Int32(columns)  // the column-major view is columns × rows
    var n = Int32(rows)
    var lda = m
    // Column-major U of Φᵀ (columns × rank) is Φ's V; VT of Φᵀ (rank × rows) is Φ's Uᵀ.
    var ldu = withVectors ? m : 1
    var ldvt = withVectors ? Int32(rank) : 1
    var info: Int32 = 0
    var lw = lwork
    scratch.withUnsafeMutableBufferPointer { a in
      values.withUnsafeMutableBufferPointer { s in
        rightVectors.withUnsafeMutableBufferPointer { u in
          leftVectors.withUnsafeMutableBufferPointer { vt in
            integerWork.withUnsafeMutableBufferPointer { iw in
              if lwork == -1 {
                sgesdd_(
                  &jobz, &m, &n, a.baseAddress, &lda, s.baseAddress, u.baseAddress, &ldu,
                  vt.baseAddress, &ldvt, &workOut, &lw, iw.baseAddress, &info, 1)
              } else {
                work.withUnsafeMutableBufferPointer { w in
                  sgesdd_(
                    &jobz, &m, &n, a.baseAddress, &lda, s.baseAddress, u.baseAddress, &ldu,
                    vt.baseAddress, &ldvt, w.baseAddress, &lw, iw.baseAddress, &info, 1)
                }
              }
            }
          }
        }
      }
    }
    return info
  }
}
