import Environments
import Foundation

/// Reads episode files, checking every magic, length and checksum before trusting a byte: a
/// corrupt, truncated or foreign file gives an `EpisodeFileError` naming the problem and its
/// byte offset or frame, never a crash, a hang or an absurd allocation.
public enum EpisodeReader {
  /// Reads and validates the file at `url`.
  public static func read(from url: URL) throws -> Episode {
    let bytes: [UInt8]
    do {
      bytes = [UInt8](try Data(contentsOf: url))
    } catch {
      var isDirectory: ObjCBool = false
      let why =
        FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
          && isDirectory.boolValue
        ? "is a directory; give an episode file (.rlep) inside it" : OutputError.reason(error)
      throw EpisodeFileError(.io, "cannot read: \(why)", path: url.path)
    }
    do {
      return try decode(bytes)
    } catch var error as EpisodeFileError {
      error.path = url.path
      throw error
    }
  }

  /// Decodes and validates a whole file held in memory.
  public static func decode(_ bytes: [UInt8]) throws -> Episode {
    var parser = Parser(bytes: bytes)
    return try parser.parse()
  }

  private struct Parser {
    let bytes: [UInt8]
    var offset = 0
    let decompressor: ZstdDecompressor?

    init(bytes: [UInt8]) {
      self.bytes = bytes
      decompressor = try? ZstdDecompressor()
    }

    /// Throws `truncated` unless `count` more bytes exist.
    func need(_ count: Int, for what: String, frame: Int? = nil) throws {
      guard count <= bytes.count - offset else {
        throw EpisodeFileError(
          .truncated,
          "truncated at offset \(bytes.count): \(what) needs \(count) bytes from offset "
            + "\(offset), \(bytes.count - offset) remain", offset: bytes.count, frame: frame)
      }
    }

    func magic(at position: Int) -> [UInt8] { Array(bytes[position..<position + 4]) }

    mutating func parse() throws -> Episode {
      let header = try parseHeader()
      var episode = Episode(
        header: header, observations: [],
        actions: header.action.kind == .discrete ? .discrete([]) : .continuous([]),
        rewards: [], costs: [], ends: [], extras: header.extras.map { _ in [] })
      var frame = 0
      var lastFrameSteps = header.frameLength
      while true {
        try need(4, for: "frame \(frame) or the footer", frame: frame)
        let tag = magic(at: offset)
        if tag == EpisodeFormat.footerMagic { break }
        guard tag == EpisodeFormat.frameMagic else {
          throw EpisodeFileError(
            .frameInvalid, "expected frame \(frame) or the footer, found bytes \(hex(tag))",
            offset: offset, frame: frame)
        }
        guard lastFrameSteps == header.frameLength else {
          throw EpisodeFileError(
            .frameInvalid,
            "frame \(frame) follows a partial frame of \(lastFrameSteps) steps "
              + "(only the last frame may be shorter than \(header.frameLength))",
            offset: offset, frame: frame)
        }
        lastFrameSteps = try parseFrame(frame, into: &episode)
        frame += 1
      }
      try parseFooter(frames: frame, steps: episode.stepCount)
      // One file is one episode: only its last step may end it.
      if let early = episode.ends.dropLast().firstIndex(where: \.isEnd) {
        throw EpisodeFileError(
          .frameInvalid,
          "step \(early) ends the episode but \(episode.stepCount - early - 1) steps follow",
          frame: early / header.frameLength)
      }
      return episode
    }

    mutating func parseHeader() throws -> EpisodeHeader {
      let prefix = Array(bytes.prefix(4))
      guard prefix == Array(EpisodeFormat.fileMagic.prefix(prefix.count)) else {
        throw EpisodeFileError(
          .notAnEpisodeFile,
          "not a ranklab episode file: starts with \(hex(prefix)), expected \"RLEP\"", offset: 0)
      }
      try need(EpisodeFormat.fileHeaderSize, for: "the file header")
      let version = bytes.littleEndian(UInt16.self, at: 4)
      guard version == EpisodeFormat.version else {
        throw EpisodeFileError(
          .unsupportedVersion,
          "unsupported episode format version \(version); this build reads version "
            + "\(EpisodeFormat.version)", offset: 4)
      }
      let flags = bytes.littleEndian(UInt16.self, at: 6)
      guard flags == 0 else {
        throw EpisodeFileError(.headerInvalid, "unknown header flags \(flags)", offset: 6)
      }
      let length = Int(bytes.littleEndian(UInt32.self, at: 8))
      guard length <= EpisodeFormat.maxHeaderLength else {
        throw EpisodeFileError(
          .headerInvalid,
          "header length \(length) exceeds \(EpisodeFormat.maxHeaderLength) bytes", offset: 8)
      }
      offset = EpisodeFormat.fileHeaderSize
      try need(length + 4, for: "the \(length)-byte JSON header and its checksum")
      let json = bytes[offset..<offset + length]
      let stored = bytes.littleEndian(UInt32.self, at: offset + length)
      let computed = CRC32C.checksum(bytes[0..<offset + length])
      guard stored == computed else {
        throw EpisodeFileError(
          .checksumMismatch,
          "header checksum mismatch: stored \(hex32(stored)), computed \(hex32(computed))",
          offset: offset + length)
      }
      let header: EpisodeHeader
      do {
        header = try JSONDecoder().decode(EpisodeHeader.self, from: Data(json))
      } catch {
        throw EpisodeFileError(
          .headerInvalid,
          "header JSON invalid (bytes \(offset)..<\(offset + length)): \(describe(error))",
          offset: offset)
      }
      if let problem = header.problem() {
        throw EpisodeFileError(.headerInvalid, "header invalid: \(problem)", offset: offset)
      }
      offset += length + 4
      return header
    }

    /// Parses frame `index` at `offset`, appends its columns, and returns its step count.
    mutating func parseFrame(_ index: Int, into episode: inout Episode) throws -> Int {
      let header = episode.header
      let start = offset
      try need(EpisodeFormat.frameHeaderSize, for: "frame \(index)'s header", frame: index)
      let storedHeaderCRC = bytes.littleEndian(UInt32.self, at: start + 24)
      let computedHeaderCRC = CRC32C.checksum(bytes[start..<start + 24])
      guard storedHeaderCRC == computedHeaderCRC else {
        throw EpisodeFileError(
          .checksumMismatch, "frame \(index) header checksum mismatch", offset: start,
          frame: index)
      }
      let storedIndex = Int(bytes.littleEndian(UInt32.self, at: start + 4))
      let steps = Int(bytes.littleEndian(UInt32.self, at: start + 8))
      let compressedLength = Int(bytes.littleEndian(UInt32.self, at: start + 12))
      let rawLength = Int(bytes.littleEndian(UInt32.self, at: start + 16))
      let payloadCRC = bytes.littleEndian(UInt32.self, at: start + 20)
      func invalid(_ message: String) -> EpisodeFileError {
        EpisodeFileError(.frameInvalid, message, offset: start, frame: index)
      }
      guard storedIndex == index else {
        throw invalid("frame \(index) is labelled \(storedIndex)")
      }
      guard steps <= header.frameLength, steps > 0 || index == 0 else {
        throw invalid("frame \(index) holds \(steps) steps; frames hold 1...\(header.frameLength)")
      }
      let rows = index == 0 ? steps + 1 : steps
      let sizes = EpisodeFormat.columnSizes(header, steps: steps, rows: rows)
      let expectedRaw = sizes.reduce(0, +)
      guard rawLength == expectedRaw else {
        throw invalid(
          "frame \(index) declares \(rawLength) raw bytes; \(steps) steps need \(expectedRaw)")
      }
      offset += EpisodeFormat.frameHeaderSize
      try need(compressedLength, for: "frame \(index)'s compressed payload", frame: index)
      let compressed = bytes[offset..<offset + compressedLength]
      let computedCRC = CRC32C.checksum(compressed)
      guard computedCRC == payloadCRC else {
        throw EpisodeFileError(
          .checksumMismatch,
          "frame \(index) checksum mismatch: stored \(hex32(payloadCRC)), computed "
            + "\(hex32(computedCRC))", offset: offset, frame: index)
      }
      guard let decompressor else {
        throw EpisodeFileError(.io, "zstd could not allocate a context", frame: index)
      }
      var raw = [UInt8](repeating: 0, count: rawLength)
      do {
        try compressed.withUnsafeBytes { source in
          try raw.withUnsafeMutableBytes { try decompressor.decompress(source, into: $0) }
        }
      } catch {
        throw EpisodeFileError(
          .frameInvalid, "frame \(index) payload does not decompress: \(error)", offset: offset,
          frame: index)
      }
      try append(raw, sizes: sizes, steps: steps, frame: index, to: &episode)
      offset += compressedLength
      return steps
    }

    func append(
      _ raw: [UInt8], sizes: [Int], steps: Int, frame: Int, to episode: inout Episode
    ) throws {
      let header = episode.header
      var cursor = 0
      try raw.withUnsafeBytes { payload in
        func column<T: BitwiseCopyable>(_ index: Int, _ array: inout [T], zero: T) {
          let size = sizes[index]
          let first = array.count
          array.append(contentsOf: repeatElement(zero, count: size / MemoryLayout<T>.stride))
          array.withUnsafeMutableBytes { out in
            EpisodeFormat.unfilter(
              column: index, UnsafeRawBufferPointer(rebasing: payload[cursor..<cursor + size]),
              header: header,
              into: UnsafeMutableRawBufferPointer(
                rebasing: out[(first * MemoryLayout<T>.stride)...]))
          }
          cursor += size
        }
        column(0, &episode.observations, zero: 0)
        switch episode.actions {
        case .discrete(var values):
          column(1, &values, zero: 0)
          if let bad = values.suffix(steps).first(where: { $0 < 0 }) {
            throw EpisodeFileError(
              .frameInvalid, "frame \(frame) holds a negative discrete action \(bad)",
              frame: frame)
          }
          episode.actions = .discrete(values)
        case .continuous(var values):
          column(1, &values, zero: 0)
          episode.actions = .continuous(values)
        }
        column(2, &episode.rewards, zero: 0)
        column(3, &episode.costs, zero: 0)
        var ends: [UInt8] = []
        column(4, &ends, zero: 0)
        for (step, value) in ends.enumerated() {
          guard let end = EpisodeEnd(rawValue: value) else {
            throw EpisodeFileError(
              .frameInvalid, "frame \(frame) step \(step) has end flag \(value); valid are 0, 1, 2",
              frame: frame)
          }
          episode.ends.append(end)
        }
        for index in header.extras.indices { column(5 + index, &episode.extras[index], zero: 0) }
      }
    }

    mutating func parseFooter(frames: Int, steps: Int) throws {
      let start = offset
      try need(EpisodeFormat.footerSize, for: "the footer")
      func invalid(_ message: String) -> EpisodeFileError {
        EpisodeFileError(.footerInvalid, message, offset: start)
      }
      guard frames > 0 else { throw invalid("the file has no frames (frame 0 is required)") }
      let storedFrames = Int(bytes.littleEndian(UInt32.self, at: start + 4))
      let storedSteps = bytes.littleEndian(UInt64.self, at: start + 8)
      let storedCRC = bytes.littleEndian(UInt32.self, at: start + 16)
      guard magic(at: start + 20) == EpisodeFormat.endMagic else {
        throw invalid("the footer does not end with \"PELR\"")
      }
      let computedCRC = CRC32C.checksum(bytes[0..<start])
      guard storedCRC == computedCRC else {
        throw EpisodeFileError(
          .checksumMismatch,
          "file checksum mismatch: stored \(hex32(storedCRC)), computed \(hex32(computedCRC))",
          offset: start + 16)
      }
      guard storedFrames == frames, storedSteps == UInt64(steps) else {
        throw invalid(
          "the footer counts \(storedFrames) frames and \(storedSteps) steps; the file holds "
            + "\(frames) and \(steps)")
      }
      offset += EpisodeFormat.footerSize
      guard offset == bytes.count else {
        throw EpisodeFileError(
          .trailingBytes, "\(bytes.count - offset) bytes follow the footer", offset: offset)
      }
    }
  }
}

private func hex(_ bytes: [UInt8]) -> String {
  bytes.isEmpty ? "nothing" : bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
}

private func hex32(_ value: UInt32) -> String { String(format: "0x%08x", value) }

private func describe(_ error: any Error) -> String {
  switch error {
  case DecodingError.keyNotFound(let key, let context):
    return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
  case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
    return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': "
      + context.debugDescription
  case DecodingError.dataCorrupted(let context):
    let underlying = context.underlyingError.map { " (\($0))" } ?? ""
    return context.debugDescription + underlying
  default:
    return "\(error)"
  }
}
