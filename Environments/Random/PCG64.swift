import Foundation

/// The PCG64 generator (XSL-RR 128/64), bit-compatible with numpy's `PCG64`, the one random source
/// in ranklab. Every consumer receives its own explicitly seeded instance; nothing uses the
/// system generator.
public struct PCG64: RandomNumberGenerator, Sendable, Equatable, Codable {
  private static let multiplier: UInt128 =
    (UInt128(0x2360_ED05_1FC6_5DA4) << 64) | UInt128(0x4385_DF64_9FCC_F645)

  private var state: UInt128
  private var increment: UInt128

  /// The generator `np.random.default_rng(seed)` makes; a non-empty `stream` selects an
  /// independent child stream, as numpy's `SeedSequence(seed, spawn_key=stream)` does.
  public init(seed: UInt64, stream: [UInt32] = []) {
    let words = SeedSequence(entropy: seed, spawnKey: stream).generateState64(count: 4)
    let initState = (UInt128(words[0]) << 64) | UInt128(words[1])
    let initSeq = (UInt128(words[2]) << 64) | UInt128(words[3])
    state = 0
    increment = (initSeq << 1) | 1
    advance()
    state &+= initState
    advance()
  }

  @inline(__always) private mutating func advance() {
    state = state &* Self.multiplier &+ increment
  }

  /// The next 64 random bits.
  @inline(__always) public mutating func next() -> UInt64 {
    advance()
    let high = UInt64(truncatingIfNeeded: state >> 64)
    let low = UInt64(truncatingIfNeeded: state)
    let rotation = UInt64(truncatingIfNeeded: state >> 122)
    return (high ^ low).rotateRight(by: rotation)
  }

  /// A double in [0, 1) with 53 random bits, as numpy's `random()`.
  @inline(__always) public mutating func nextDouble() -> Double {
    Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
  }

  /// A float in [0, 1) with 24 random bits.
  @inline(__always) public mutating func nextFloat() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// numpy's `uniform(low, high)`: `low + (high - low) * random()`.
  @inline(__always) public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * nextDouble()
  }

  /// A uniformly random integer in `0..<bound` without modulo bias (Lemire's method).
  @inline(__always) public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "bound must be positive")
    let b = UInt64(bound)
    var product = next().multipliedFullWidth(by: b)
    if product.low < b {
      let threshold = (0 &- b) % b
      while product.low < threshold { product = next().multipliedFullWidth(by: b) }
    }
    return Int(product.high)
  }

  /// A standard normal sample (Box-Muller; not numpy's ziggurat stream).
  public mutating func nextGaussian() -> Double {
    let u1 = 1.0 - nextDouble()  // in (0, 1]: log stays finite
    let u2 = nextDouble()
    return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
  }

  // Codable through two 64-bit halves each: UInt128 has no Codable conformance everywhere.
  private enum CodingKeys: String, CodingKey { case state, increment }
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let s = try c.decode([UInt64].self, forKey: .state)
    let i = try c.decode([UInt64].self, forKey: .increment)
    guard s.count == 2, i.count == 2, i[1] & 1 == 1 else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: "PCG64 state must be two 64-bit words"))
    }
    state = (UInt128(s[0]) << 64) | UInt128(s[1])
    increment = (UInt128(i[0]) << 64) | UInt128(i[1])
  }
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(
      [UInt64(truncatingIfNeeded: state >> 64), UInt64(truncatingIfNeeded: state)], forKey: .state)
    try c.encode(
      [UInt64(truncatingIfNeeded: increment >> 64), UInt64(truncatingIfNeeded: increment)],
      forKey: .increment)
  }
}

extension UInt64 {
  @inline(__always) fileprivate func rotateRight(by r: UInt64) -> UInt64 {
    let s = r & 63
    return (self >> s) | (self << ((64 - s) & 63))
  }
}
