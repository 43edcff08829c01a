import CBLAS
import Testing

/// The system-library target links: a 2x3 * 3x2 product through OpenBLAS equals the hand result.
@Test func sgemmThroughOpenBLASMatchesHandProduct() {
  let a: [Float] = [1, 2, 3, 4, 5, 6]
  let b: [Float] = [7, 8, 9, 10, 11, 12]
  var c = [Float](repeating: 0, count: 4)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
  #expect(c == [58, 64, 139, 154])
}
