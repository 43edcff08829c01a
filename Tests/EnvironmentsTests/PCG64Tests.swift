import Foundation
import Testing

@testable import Environments

/// Expected words were printed by numpy 2.4 (`np.random.default_rng(seed).bit_generator.random_raw`).
@Suite struct PCG64Tests {
  static let numpyWords: [(UInt64, [UInt64])] = [
    (0, [UInt64(0xa30f_ebcf_d9c2_825f), 0x4510_bdf8_82d9_d721, 0x0a7d_3da9_4ecd_e8b8]),
    (1, [0x8306_bdf3_7922_e4ff, 0xf351_96bb_c152_a866, 0x24e7_a4f6_08ec_18cd]),
    (42, [0xc621_fbcd_16d9_2688, 0x705a_5661_a791_ffc1, 0xdbcd_12c2_6eda_1624]),
    (4_294_967_301, [0xc632_3ec3_21de_b8d1, 0x7881_4821_c73a_0583, 0xb225_36d8_e0ec_17c0]),
    (12_345_678_901_234, [0x6808_5c46_7f7b_2784, 0x06b5_46d7_e1c5_e5a7, 0x9ee0_37e3_52c2_e6d2]),
  ]

  @Test(arguments: numpyWords)
  func matchesNumpyDefaultRNG(seed: UInt64, expected: [UInt64]) {
    var rng = PCG64(seed: seed)
    #expect((0..<3).map { _ in rng.next() } == expected)
  }

  @Test func spawnKeyMatchesNumpyChildStream() {
    // np.random.PCG64(np.random.SeedSequence(7, spawn_key=(3,)))
    var rng = PCG64(seed: 7, stream: [3])
    #expect(rng.next() == 0xfb79_81c9_7ac2_f34c)
    #expect(rng.next() == 0x0f9a_81e7_5305_23ae)
  }

  @Test func uniformMatchesNumpy() {
    var rng = PCG64(seed: 0)
    let values = (0..<4).map { _ in rng.uniform(-0.05, 0.05) }
    // np.random.default_rng(0).uniform(-0.05, 0.05, 4)
    let expected = [
      0.013696168732145436, -0.02302132862361297, -0.045902647606380534, -0.04834723644714709,
    ]
    #expect(values == expected)
  }

  @Test func boundedIntegersAreInRangeAndCoverIt() {
    var rng = PCG64(seed: 3)
    var seen = Set<Int>()
    for _ in 0..<1000 {
      let v = rng.nextInt(below: 7)
      #expect((0..<7).contains(v))
      seen.insert(v)
    }
    #expect(seen.count == 7)
  }

  @Test func codableRoundTripContinuesTheStream() throws {
    var rng = PCG64(seed: 9)
    _ = rng.next()
    let data = try JSONEncoder().encode(rng)
    var restored = try JSONDecoder().decode(PCG64.self, from: data)
    #expect(restored.next() == rng.next())
  }
}
