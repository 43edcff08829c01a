import Environments
import Foundation
import Testing

@testable import RankLab

@Suite struct CodecTests {
  /// Every chain a config may reasonably pick, plus `none`.
  static let codecs: [ColumnCodec] = [
    .none,
    .zstd(level: 3, filters: []),
    .zstd(level: 1, filters: [.shuffle]),
    .zstd(level: 3, filters: [.delta(.xor)]),
    .zstd(level: 3, filters: [.delta(.subtract)]),
    .zstd(level: 3, filters: [.delta(.xor), .shuffle]),
    .zstd(level: 9, filters: [.delta(.subtract), .shuffle]),
    .zstd(level: -5, filters: [.shuffle, .delta(.xor)]),
    .zstd(level: 3, filters: [.bitpack]),
    .zstd(level: 3, filters: [.delta(.xor), .bitpack]),
    .zstd(level: 3, filters: [.shuffle, .delta(.subtract), .bitpack]),
  ]

  /// Floats that stress bit-exactness: NaN payloads of both signs and kinds, infinities, both
  /// zeros, subnormals, extremes, then random bit patterns and ordinary values.
  static func awkwardFloats(_ count: Int, _ rng: inout PCG64) -> [Float] {
    let specials: [Float] = [
      .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7FC1_2345), Float(bitPattern: 0xFFBF_FFFF),
      .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
      Float(bitPattern: 0x007F_FFFF), .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
      .leastNormalMagnitude, 1, -1,
    ]
    return (0..<count).map { index in
      switch rng.nextInt(below: 3) {
      case 0: return specials[index % specials.count]
      case 1: return Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
      default: return Float(rng.uniform(-10, 10))
      }
    }
  }

  @Test(arguments: codecs) func floatColumnsRoundTripBitExactly(codec: ColumnCodec) throws {
    var rng = PCG64(seed: 7)
    let coder = try ColumnCoder(codec)  // one coder reused across sizes exercises its scratch
    for (count, width) in [(0, 1), (1, 1), (5, 3), (333, 7), (4096, 16), (100, 1)] {
      let values = Self.awkwardFloats(count, &rng)
      var encoded: [UInt8] = [0xAA]  // appending must keep what was there
      try values.withUnsafeBytes {
        _ = try coder.encode($0, layout: .of(Float.self, rowWidth: width), appendingTo: &encoded)
      }
      #expect(encoded.first == 0xAA)
      var decoded = [Float](repeating: 1, count: count)
      try encoded.dropFirst().withUnsafeBytes { source in
        try decoded.withUnsafeMutableBytes {
          try coder.decode(source, layout: .of(Float.self, rowWidth: width), into: $0)
        }
      }
      #expect(sameBits(decoded.map(\.bitPattern), values.map(\.bitPattern)), "\(codec) n=\(count)")
    }
  }

  @Test(arguments: codecs) func otherElementSizesRoundTrip(codec: ColumnCodec) throws {
    var rng = PCG64(seed: 11)
    let bytes = (0..<1001).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 61) }
    let shorts = (0..<500).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
    let doubles = (0..<300).map { index in
      index % 5 == 0 ? -.nan : index % 7 == 0 ? -0.0 : Double(bitPattern: rng.next())
    }
    let actions = (0..<777).map { _ in Int32(rng.nextInt(below: 5)) }
    #expect(sameBits(try codec.decode(codec.encode(bytes), as: UInt8.self, count: 1001), bytes))
    #expect(
      sameBits(
        try codec.decode(
          codec.encode(shorts, rowWidth: 4), as: UInt16.self, count: 500, rowWidth: 4), shorts))
    let decoded = try codec.decode(
      codec.encode(doubles, rowWidth: 3), as: Double.self, count: 300, rowWidth: 3)
    #expect(sameBits(decoded.map(\.bitPattern), doubles.map(\.bitPattern)))
    #expect(sameBits(try codec.decode(codec.encode(actions), as: Int32.self, count: 777), actions))
  }

  /// Equality that reports a mismatch briefly instead of printing whole arrays.
  func sameBits<T: Equatable>(_ a: [T], _ b: [T]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { $0 == $1 }
  }

  @Test func filtersAloneAreExactInverses() {
    var rng = PCG64(seed: 3)
    for count in [0, 1, 2, 7, 64, 1000] {
      let raw = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      for size in [1, 2, 3, 4, 8] {
        var shuffled = [UInt8](repeating: 0, count: count)
        var back = [UInt8](repeating: 0, count: count)
        raw.withUnsafeBytes { source in
          shuffled.withUnsafeMutableBytes {
            ByteShuffle.shuffle(source, into: $0, elementSize: size)
          }
        }
        shuffled.withUnsafeBytes { source in
          back.withUnsafeMutableBytes {
            ByteShuffle.unshuffle(source, into: $0, elementSize: size)
          }
        }
        #expect(back == raw)
      }
      var words = (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
      let original = words
      for mode in [RowDelta.Mode.xor, .subtract] {
        words.withUnsafeMutableBufferPointer { RowDelta.encode($0, rowWidth: 3, mode: mode) }
        if count > 3 { #expect(words != original) }
        words.withUnsafeMutableBufferPointer { RowDelta.decode($0, rowWidth: 3, mode: mode) }
        #expect(words == original)
      }
    }
  }

  @Test func shuffleGroupsBytesBySignificance() {
    let values: [UInt32] = [0x0403_0201, 0x0807_0605]
    var out = [UInt8](repeating: 0, count: 8)
    values.withUnsafeBytes { source in
      out.withUnsafeMutableBytes { ByteShuffle.shuffle(source, into: $0, elementSize: 4) }
    }
    #expect(out == [1, 5, 2, 6, 3, 7, 4, 8])
  }

  @Test func bitPackingUsesTheMinimalWidth() throws {
    let actions: [UInt32] = [0, 4, 3, 1, 2, 4, 0, 0, 1]  // max 4 needs 3 bits
    var packed: [UInt8] = []
    actions.withUnsafeBufferPointer { BitPacking.pack($0, appendingTo: &packed) }
    #expect(packed.count == BitPacking.headerSize + (9 * 3 + 7) / 8)
    #expect(packed[0] == 3)
    var back = [UInt32](repeating: 9, count: 9)
    try packed.withUnsafeBytes { bytes in
      try back.withUnsafeMutableBufferPointer { try BitPacking.unpack(bytes, into: $0) }
    }
    #expect(back == actions)
    let zeros = [UInt8](repeating: 0, count: 100)
    var packedZeros: [UInt8] = []
    zeros.withUnsafeBufferPointer { BitPacking.pack($0, appendingTo: &packedZeros) }
    #expect(packedZeros == [0, 100, 0, 0, 0, 0, 0, 0, 0])
    var wide: [UInt8] = []
    [UInt64.max, 1].withUnsafeBufferPointer { BitPacking.pack($0, appendingTo: &wide) }
    #expect(wide.count == BitPacking.headerSize + 16)
  }

  @Test func decodingRejectsWrongSizesAndGarbage() throws {
    let values = (0..<100).map { Float($0) }
    let codec = ColumnCodec.observations
    let encoded = try codec.encode(values, rowWidth: 10)
    #expect(throws: ColumnCodecError.self) {
      _ = try codec.decode(encoded, as: Float.self, count: 99, rowWidth: 10)
    }
    #expect(throws: ColumnCodecError.self) {
      _ = try codec.decode(Array(encoded.dropLast(3)), as: Float.self, count: 100)
    }
    #expect(throws: ColumnCodecError.self) {
      _ = try codec.decode([1, 2, 3, 4, 5, 6, 7, 8, 9], as: Float.self, count: 100)
    }
    #expect(throws: ColumnCodecError.self) {
      _ = try ColumnCodec.none.decode([1, 2, 3], as: Float.self, count: 1)
    }
    let packed = try ColumnCodec.smallIntegers.encode([UInt32](repeating: 3, count: 50))
    #expect(throws: ColumnCodecError.self) {
      _ = try ColumnCodec.smallIntegers.decode(packed, as: UInt32.self, count: 51)
    }
    do {
      _ = try codec.decode(Array(encoded.dropLast(3)), as: Float.self, count: 100)
    } catch let ColumnCodecError.zstd(error) {
      #expect(error.description.hasPrefix("zstd"))
    }
  }

  /// Damaged chunks must throw or decode to something; never crash or overrun.
  @Test(arguments: codecs) func damagedChunksNeverCrash(codec: ColumnCodec) throws {
    var rng = PCG64(seed: 99)
    let values = (0..<600).map { _ in UInt32(rng.nextInt(below: 7)) }
    let coder = try ColumnCoder(codec)
    let good = try codec.encode(values, rowWidth: 6)
    var thrown = 0
    var out = [UInt32](repeating: 0, count: values.count)
    for trial in 0..<300 {
      var bytes = good
      if trial % 3 == 0 {
        bytes.removeLast(1 + rng.nextInt(below: bytes.count))
      } else {
        bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 << rng.nextInt(below: 8))
      }
      do {
        try bytes.withUnsafeBytes { source in
          try out.withUnsafeMutableBytes {
            try coder.decode(source, layout: .of(UInt32.self, rowWidth: 6), into: $0)
          }
        }
      } catch is ColumnCodecError {
        thrown += 1
      }
    }
    // Every truncation changes the size, which every codec detects.
    #expect(thrown >= 100)
  }

  @Test func zstdErrorsAreNamed() throws {
    let decompressor = try ZstdDecompressor()
    var out = [UInt8](repeating: 0, count: 16)
    let garbage: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x10, 0xFF, 0xFF, 0xFF, 0xFF]
    #expect(throws: ZstdError.self) {
      try garbage.withUnsafeBytes { src in
        try out.withUnsafeMutableBytes { try decompressor.decompress(src, into: $0) }
      }
    }
    #expect(throws: ZstdError.invalidLevel(99, supported: Zstd.levels)) {
      _ = try ZstdCompressor(level: 99)
    }
  }

  @Test func codecsDecodeFromConfigValues() throws {
    func decode(_ json: String) throws -> ColumnCodec {
      try JSONDecoder().decode(ColumnCodec.self, from: Data(json.utf8))
    }
    #expect(try decode(#""none""#) == .none)
    #expect(
      try decode(#""xor_delta+shuffle+zstd(5)""#)
        == .zstd(level: 5, filters: [.delta(.xor), .shuffle]))
    #expect(try decode(#""zstd""#) == .zstd(level: 3, filters: []))
    #expect(
      try decode(#""delta + bitpack + zstd(-1)""#)
        == .zstd(level: -1, filters: [.delta(.subtract), .bitpack]))
    #expect(throws: DecodingError.self) { _ = try decode(#""shufle+zstd""#) }
    #expect(throws: DecodingError.self) { _ = try decode(#""bitpack+shuffle+zstd""#) }
    #expect(throws: DecodingError.self) { _ = try decode(#""zstd(40)""#) }
    #expect(throws: DecodingError.self) { _ = try decode(#""shuffle""#) }
    #expect(throws: DecodingError.self) { _ = try decode(#"{"level": 3}"#) }
    for codec in Self.codecs {
      let data = try JSONEncoder().encode(codec)
      #expect(try JSONDecoder().decode(ColumnCodec.self, from: data) == codec)
    }
  }

  /// One-hot rows (the gridworld's row + column encoding) as a replay chunk would hold them.
  @Test func oneHotRowsCompressAtLeastTwentyFold() throws {
    var rng = PCG64(seed: 1)
    let width = 32  // 16 row bits + 16 column bits
    let rows = 1024
    var observations = [Float](repeating: 0, count: rows * width)
    var (r, c) = (8, 8)
    for row in 0..<rows {  // a random walk, as an agent's successive observations
      switch rng.nextInt(below: 5) {
      case 0: r = min(15, r + 1)
      case 1: r = max(0, r - 1)
      case 2: c = min(15, c + 1)
      case 3: c = max(0, c - 1)
      default: break
      }
      observations[row * width + r] = 1
      observations[row * width + 16 + c] = 1
    }
    let raw = observations.count * 4
    var ratios: [String: Double] = [:]
    for codec: ColumnCodec in [
      .zstd(level: 3, filters: []), .floats, .zstd(level: 3, filters: [.delta(.xor)]),
      .observations,
    ] {
      let encoded = try codec.encode(observations, rowWidth: width)
      #expect(
        try codec.decode(encoded, as: Float.self, count: observations.count, rowWidth: width)
          == observations)
      ratios[codec.description] = Double(raw) / Double(encoded.count)
    }
    print("one-hot 1024x32 compression ratios:", ratios.sorted { $0.key < $1.key })
    #expect(try #require(ratios["shuffle+zstd(3)"]) >= 20)
    #expect(try #require(ratios["xor_delta+shuffle+zstd(3)"]) >= 20)
  }
}
