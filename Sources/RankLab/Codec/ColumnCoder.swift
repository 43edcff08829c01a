/// The shape of a column chunk: bytes per element and elements per row (row-major).
public struct ColumnLayout: Hashable, Sendable {
  /// Bytes per element: 4 for Float / Int32 / UInt32, 8 for Double, 1 for flags.
  public var elementSize: Int
  /// Elements per row; delta filters subtract the row above.
  public var rowWidth: Int

  public init(elementSize: Int, rowWidth: Int = 1) {
    self.elementSize = elementSize
    self.rowWidth = rowWidth
  }

  /// The layout of a column of `T` with `rowWidth` values per row.
  public static func of<T: BitwiseCopyable>(_ type: T.Type, rowWidth: Int = 1) -> ColumnLayout {
    ColumnLayout(elementSize: MemoryLayout<T>.stride, rowWidth: rowWidth)
  }
}

/// Encodes and decodes column chunks with one `ColumnCodec`, reusing its zstd contexts and
/// scratch buffers across calls, so a replay buffer compressing chunk after chunk allocates
/// nothing once warm. Not thread-safe: one per thread.
public final class ColumnCoder {
  public let codec: ColumnCodec
  private let compressor: ZstdCompressor?
  private let decompressor: ZstdDecompressor
  // UInt64 storage keeps the scratch 8-byte aligned for the integer views the filters take.
  private var front: [UInt64] = []
  private var back: [UInt64] = []
  private var packed: [UInt8] = []

  public init(_ codec: ColumnCodec) throws {
    try codec.validate()
    self.codec = codec
    do {
      if case .zstd(let level, _) = codec {
        compressor = try ZstdCompressor(level: level)
      } else {
        compressor = nil
      }
      decompressor = try ZstdDecompressor()
    } catch let error as ZstdError {
      throw ColumnCodecError.zstd(error)
    }
  }

  /// Appends the encoding of `raw` to `output`; returns the number of bytes appended.
  @discardableResult
  public func encode(
    _ raw: UnsafeRawBufferPointer, layout: ColumnLayout, appendingTo output: inout [UInt8]
  ) throws -> Int {
    guard case .zstd(_, let filters) = codec, let compressor else {
      output.append(contentsOf: raw)
      return raw.count
    }
    try check(layout, byteCount: raw.count, filters: filters)
    reserve(raw.count)
    front.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
    var stream: [UInt8]? = nil
    for filter in filters {
      switch filter {
      case .shuffle:
        front.withUnsafeBytes { source in
          back.withUnsafeMutableBytes { destination in
            ByteShuffle.shuffle(
              UnsafeRawBufferPointer(rebasing: source[..<raw.count]),
              into: UnsafeMutableRawBufferPointer(rebasing: destination[..<raw.count]),
              elementSize: layout.elementSize)
          }
        }
        swap(&front, &back)
      case .delta(let mode):
        withElements(layout.elementSize, count: raw.count) {
          (values: UnsafeMutableRawBufferPointer) in
          Self.delta(values, layout: layout, mode: mode, decode: false)
        }
      case .bitpack:
        packed.removeAll(keepingCapacity: true)
        front.withUnsafeBytes { bytes in
          Self.pack(UnsafeRawBufferPointer(rebasing: bytes[..<raw.count]), layout, into: &packed)
        }
        stream = packed
      }
    }
    do {
      if let stream {
        return try stream.withUnsafeBytes { (bytes) throws -> Int in
          try compressor.compress(bytes, appendingTo: &output)
        }
      }
      return try front.withUnsafeBytes { (bytes) throws -> Int in
        try compressor.compress(
          UnsafeRawBufferPointer(rebasing: bytes[..<raw.count]), appendingTo: &output)
      }
    } catch let error as ZstdError {
      throw ColumnCodecError.zstd(error)
    }
  }

  /// Decodes `encoded` into `destination`, whose size is the chunk's raw byte count.
  public func decode(
    _ encoded: UnsafeRawBufferPointer, layout: ColumnLayout,
    into destination: UnsafeMutableRawBufferPointer
  ) throws {
    guard case .zstd(_, let filters) = codec else {
      guard encoded.count == destination.count else {
        throw ColumnCodecError.corrupt(
          "raw chunk holds \(encoded.count) bytes, expected \(destination.count)")
      }
      destination.copyMemory(from: encoded)
      return
    }
    let byteCount = destination.count
    try check(layout, byteCount: byteCount, filters: filters)
    reserve(byteCount)
    do {
      if filters.last == .bitpack {
        let capacity = BitPacking.packedSize(
          count: byteCount / layout.elementSize, width: layout.elementSize * 8)
        if packed.count < capacity {
          packed.append(contentsOf: repeatElement(0, count: capacity - packed.count))
        }
        let packedCount = try packed.withUnsafeMutableBytes { (buffer) throws -> Int in
          try decompressor.decompressAny(encoded, into: buffer)
        }
        try packed.withUnsafeBytes { (bytes) throws in
          try front.withUnsafeMutableBytes { (values) throws in
            try Self.unpack(
              UnsafeRawBufferPointer(rebasing: bytes[..<packedCount]),
              into: UnsafeMutableRawBufferPointer(rebasing: values[..<byteCount]), layout)
          }
        }
      } else {
        try front.withUnsafeMutableBytes { (buffer) throws in
          try decompressor.decompress(
            encoded, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<byteCount]))
        }
      }
    } catch let error as ZstdError {
      throw ColumnCodecError.zstd(error)
    } catch let error as ColumnCodecError {
      throw error
    } catch {
      throw ColumnCodecError.corrupt("\(error)")
    }
    for filter in filters.reversed() {
      switch filter {
      case .shuffle:
        front.withUnsafeBytes { source in
          back.withUnsafeMutableBytes { target in
            ByteShuffle.unshuffle(
              UnsafeRawBufferPointer(rebasing: source[..<byteCount]),
              into: UnsafeMutableRawBufferPointer(rebasing: target[..<byteCount]),
              elementSize: layout.elementSize)
          }
        }
        swap(&front, &back)
      case .delta(let mode):
        withElements(layout.elementSize, count: byteCount) { values in
          Self.delta(values, layout: layout, mode: mode, decode: true)
        }
      case .bitpack:
        break  // undone above, straight out of zstd
      }
    }
    front.withUnsafeBytes {
      destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<byteCount]))
    }
  }

  private func check(_ layout: ColumnLayout, byteCount: Int, filters: [ColumnFilter])
    throws
  {
    guard layout.elementSize > 0, layout.rowWidth > 0 else {
      throw ColumnCodecError.unsupportedLayout("element size and row width must be positive")
    }
    guard byteCount % layout.elementSize == 0 else {
      throw ColumnCodecError.unsupportedLayout(
        "\(byteCount) bytes is not a whole number of \(layout.elementSize)-byte elements")
    }
    let needsInteger = filters.contains { $0 != .shuffle }
    if needsInteger, ![1, 2, 4, 8].contains(layout.elementSize) {
      throw ColumnCodecError.unsupportedLayout(
        "delta and bitpack need 1, 2, 4 or 8-byte elements, not \(layout.elementSize)")
    }
  }

  private func reserve(_ byteCount: Int) {
    let words = (byteCount + 7) / 8
    if front.count < words { front = [UInt64](repeating: 0, count: words) }
    if back.count < words { back = [UInt64](repeating: 0, count: words) }
  }

  private func withElements(
    _ elementSize: Int, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void
  ) {
    front.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[..<count])) }
  }

  private static func delta(
    _ bytes: UnsafeMutableRawBufferPointer, layout: ColumnLayout, mode: RowDelta.Mode,
    decode: Bool
  ) {
    func run<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) {
      let values = bytes.bindMemory(to: T.self)
      if decode {
        RowDelta.decode(values, rowWidth: layout.rowWidth, mode: mode)
      } else {
        RowDelta.encode(values, rowWidth: layout.rowWidth, mode: mode)
      }
    }
    switch layout.elementSize {
    case 1: run(UInt8.self)
    case 2: run(UInt16.self)
    case 4: run(UInt32.self)
    default: run(UInt64.self)
    }
  }

  private static func pack(
    _ bytes: UnsafeRawBufferPointer, _ layout: ColumnLayout, into output: inout [UInt8]
  ) {
    func run<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) {
      BitPacking.pack(bytes.assumingMemoryBound(to: T.self), appendingTo: &output)
    }
    switch layout.elementSize {
    case 1: run(UInt8.self)
    case 2: run(UInt16.self)
    case 4: run(UInt32.self)
    default: run(UInt64.self)
    }
  }

  private static func unpack(
    _ packed: UnsafeRawBufferPointer, into bytes: UnsafeMutableRawBufferPointer,
    _ layout: ColumnLayout
  ) throws {
    func run<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws {
      try BitPacking.unpack(packed, into: bytes.bindMemory(to: T.self))
    }
    switch layout.elementSize {
    case 1: try run(UInt8.self)
    case 2: try run(UInt16.self)
    case 4: try run(UInt32.self)
    default: try run(UInt64.self)
    }
  }
}

extension ColumnCodec {
  /// Encodes an array (allocates; for tools, tests and episode files, not hot paths).
  public func encode<T: BitwiseCopyable>(_ values: [T], rowWidth: Int = 1) throws
    -> [UInt8]
  {
    let coder = try ColumnCoder(self)
    var output: [UInt8] = []
    try values.withUnsafeBytes { (bytes) throws in
      _ = try coder.encode(bytes, layout: .of(T.self, rowWidth: rowWidth), appendingTo: &output)
    }
    return output
  }

  /// Decodes `count` values of `T` (allocates; see `ColumnCoder` for the reusable form).
  public func decode<T: BitwiseCopyable>(
    _ encoded: [UInt8], as type: T.Type, count: Int, rowWidth: Int = 1
  ) throws -> [T] {
    let coder = try ColumnCoder(self)
    return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      try encoded.withUnsafeBytes { bytes in
        try coder.decode(
          bytes, layout: .of(T.self, rowWidth: rowWidth),
          into: UnsafeMutableRawBufferPointer(buffer))
      }
      initialized = count
    }
  }
}
