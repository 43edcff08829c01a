import CZstd

/// Why a zstd call failed, with zstd's own error name where there is one.
public enum ZstdError: Error, Equatable, Sendable, CustomStringConvertible {
  /// zstd reported an error (`ZSTD_getErrorName`), e.g. "Data corruption detected".
  case library(operation: String, name: String)
  /// The data decompressed to a different size than the caller's buffer expects.
  case sizeMismatch(expected: Int, actual: Int)
  /// The output buffer cannot hold the worst case of the compressed data.
  case destinationTooSmall(needed: Int, capacity: Int)
  /// The compression level is outside zstd's supported range.
  case invalidLevel(Int, supported: ClosedRange<Int>)
  /// zstd could not allocate a context.
  case contextAllocationFailed

  public var description: String {
    switch self {
    case .library(let operation, let name): return "zstd \(operation) failed: \(name)"
    case .sizeMismatch(let expected, let actual):
      return "zstd data decompresses to \(actual) bytes, expected \(expected)"
    case .destinationTooSmall(let needed, let capacity):
      return "zstd output buffer holds \(capacity) bytes, needs \(needed)"
    case .invalidLevel(let level, let supported):
      return "zstd level \(level) is outside \(supported.lowerBound)...\(supported.upperBound)"
    case .contextAllocationFailed: return "zstd could not allocate a context"
    }
  }

  static func check(_ code: Int, _ operation: String) throws -> Int {
    if ZSTD_isError(code) != 0 {
      throw ZstdError.library(operation: operation, name: String(cString: ZSTD_getErrorName(code)))
    }
    return code
  }
}

/// Namespace for zstd facts that need no context.
public enum Zstd {
  /// Levels zstd accepts (negative levels are its fast modes; 0 means its default, 3).
  public static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

  /// The largest compressed size of `count` bytes: size output buffers with it.
  public static func compressBound(_ count: Int) -> Int { ZSTD_compressBound(count) }
}

/// A reusable zstd compression context at a fixed level; reuse avoids zstd's per-call setup.
///
/// Not thread-safe (zstd contexts are not): give each thread its own.
public final class ZstdCompressor {
  public let level: Int
  private let context: OpaquePointer
  private var scratch: [UInt8] = []

  public init(level: Int = 3) throws {
    guard Zstd.levels.contains(level) else {
      throw ZstdError.invalidLevel(level, supported: Zstd.levels)
    }
    guard let context = ZSTD_createCCtx() else { throw ZstdError.contextAllocationFailed }
    self.context = context
    self.level = level
    do {
      _ = try ZstdError.check(
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)), "set level")
      // A 4-byte checksum per frame: damaged data fails to decode instead of decoding wrong.
      _ = try ZstdError.check(
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "set checksum flag")
    } catch {
      ZSTD_freeCCtx(context)
      throw error
    }
  }

  deinit { ZSTD_freeCCtx(context) }

  /// Compresses `source` into `destination` (capacity at least `Zstd.compressBound`), returning
  /// the compressed byte count. The frame records the source size, which `decompress` checks.
  public func compress(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
  ) throws -> Int {
    let bound = Zstd.compressBound(source.count)
    guard destination.count >= bound else {
      throw ZstdError.destinationTooSmall(needed: bound, capacity: destination.count)
    }
    return try ZstdError.check(
      ZSTD_compress2(
        context, destination.baseAddress, destination.count, source.baseAddress, source.count),
      "compress")
  }

  /// Compresses `source` and appends the frame to `output`; returns the compressed byte count.
  /// The frame is written to a scratch buffer kept between calls and then appended, so `output`
  /// never zero-fills the worst case (which, for data that compresses 200-fold, costs more
  /// than compressing it).
  @discardableResult
  public func compress(_ source: UnsafeRawBufferPointer, appendingTo output: inout [UInt8])
    throws -> Int
  {
    let bound = Zstd.compressBound(source.count)
    if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
    let written = try scratch.withUnsafeMutableBytes { (buffer) throws -> Int in
      try compress(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<bound]))
    }
    output.append(contentsOf: scratch[..<written])
    return written
  }
}

/// A reusable zstd decompression context. Not thread-safe: give each thread its own.
public final class ZstdDecompressor {
  private let context: OpaquePointer

  public init() throws {
    guard let context = ZSTD_createDCtx() else { throw ZstdError.contextAllocationFailed }
    self.context = context
  }

  deinit { ZSTD_freeDCtx(context) }

  /// Decompresses `source` into `destination`, which must be exactly the decompressed size:
  /// callers always know it (chunk and frame sizes are recorded), and an exact check catches
  /// data that belongs to something else.
  public func decompress(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
  ) throws {
    let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
    // The two sentinels are ZSTD_CONTENTSIZE_ERROR and ZSTD_CONTENTSIZE_UNKNOWN, (0ULL - 2/1).
    if declared == UInt64.max - 1 {
      throw ZstdError.library(
        operation: "decompress", name: "not a zstd frame or frame header truncated")
    }
    if declared != UInt64.max, declared != UInt64(destination.count) {
      throw ZstdError.sizeMismatch(
        expected: destination.count, actual: declared > UInt64(Int.max) ? Int.max : Int(declared))
    }
    let written = try decompressAny(source, into: destination)
    guard written == destination.count else {
      throw ZstdError.sizeMismatch(expected: destination.count, actual: written)
    }
  }

  /// Decompresses `source` into `destination`, which need only be large enough; returns the
  /// decompressed byte count.
  public func decompressAny(
    _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
  ) throws -> Int {
    try ZstdError.check(
      ZSTD_decompressDCtx(
        context, destination.baseAddress, destination.count, source.baseAddress, source.count),
      "decompress")
  }
}
