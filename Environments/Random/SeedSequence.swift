/// numpy's `SeedSequence`: turns a seed (and an optional spawn key naming a child stream) into
/// well-mixed state words. Reimplemented bit for bit so that `PCG64(seed: n)` here starts where
/// `np.random.default_rng(n)` does, and Gymnasium seeds reproduce exactly.
public struct SeedSequence: Sendable, Equatable {
  private static let poolSize = 4
  private static let initA: UInt32 = 0x43b0_d7e5
  private static let multA: UInt32 = 0x931e_8875
  private static let initB: UInt32 = 0x8b51_f9dd
  private static let multB: UInt32 = 0x58f3_8ded
  private static let mixMultL: UInt32 = 0xca01_f9dd
  private static let mixMultR: UInt32 = 0x4973_f715

  /// The mixed entropy pool (four 32-bit words).
  public private(set) var pool: [UInt32]

  /// Mixes `entropy` (numpy splits a Python int into little-endian 32-bit words; 0 is one word)
  /// and the `spawnKey` (each element one child index, as numpy's `spawn_key`).
  public init(entropy: UInt64, spawnKey: [UInt32] = []) {
    var words: [UInt32] = [UInt32(truncatingIfNeeded: entropy)]
    if entropy >> 32 != 0 { words.append(UInt32(truncatingIfNeeded: entropy >> 32)) }
    if !spawnKey.isEmpty && words.count < Self.poolSize {
      words += [UInt32](repeating: 0, count: Self.poolSize - words.count)
    }
    words += spawnKey
    pool = Self.mix(entropy: words)
  }

  private static func mix(entropy: [UInt32]) -> [UInt32] {
    var hashConst = initA
    func hashmix(_ value: UInt32) -> UInt32 {
      var v = value ^ hashConst
      hashConst = hashConst &* multA
      v = v &* hashConst
      return v ^ (v >> 16)
    }
    func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
      let r = (mixMultL &* x) &- (mixMultR &* y)
      return r ^ (r >> 16)
    }
    var mixer = [UInt32](repeating: 0, count: poolSize)
    for i in 0..<poolSize { mixer[i] = hashmix(i < entropy.count ? entropy[i] : 0) }
    for src in 0..<poolSize {
      for dst in 0..<poolSize where src != dst {
        mixer[dst] = mix(mixer[dst], hashmix(mixer[src]))
      }
    }
    for src in poolSize..<max(poolSize, entropy.count) {
      for dst in 0..<poolSize { mixer[dst] = mix(mixer[dst], hashmix(entropy[src])) }
    }
    return mixer
  }

  /// numpy's `generate_state(n, np.uint64)`: `count` 64-bit words (low 32-bit word first).
  public func generateState64(count: Int) -> [UInt64] {
    var hashConst = Self.initB
    var words32 = [UInt32](repeating: 0, count: 2 * count)
    for i in 0..<words32.count {
      var v = pool[i % Self.poolSize] ^ hashConst
      hashConst = hashConst &* Self.multB
      v = v &* hashConst
      words32[i] = v ^ (v >> 16)
    }
    return (0..<count).map { UInt64(words32[2 * $0]) | (UInt64(words32[2 * $0 + 1]) << 32) }
  }
}
