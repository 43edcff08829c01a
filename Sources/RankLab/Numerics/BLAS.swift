import CBLAS

/// The dense linear algebra ranklab needs, on OpenBLAS, row-major throughout.
public enum BLAS {
  /// OpenBLAS runs on one thread: results are deterministic run to run, the small GEMMs of RL
  /// gain nothing from threads, and benchmarks compare like with like.
  nonisolated(unsafe) private static var configured = false
  static func configure() {
    if !configured {
      openblas_set_num_threads(1)
      configured = true
    }
  }

  /// C = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n, all row-major.
  @inline(__always)
  public static func gemm(
    _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, beta: Float,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    configure()
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// y = alpha · A · x + beta · y with A m×n row-major.
  @inline(__always)
  public static func gemv(
    m: Int, n: Int, alpha: Float = 1, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    beta: Float, _ y: UnsafeMutablePointer<Float>
  ) {
    configure()
    cblas_sgemv(
      CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(n), x, 1, beta, y, 1)
  }
}
