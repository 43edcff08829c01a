import Environments
import Foundation

/// Writes an episode file step by step: frames are compressed and written every
/// `header.frameLength` steps into `NAME.tmp`, and `finish()` adds the footer, fsyncs and renames
/// to `NAME`, so a crash never leaves a partial file under the final name (only the `.tmp`).
///
/// Appending copies into buffers reserved for one frame: no allocation per step.
public final class EpisodeWriter {
  public let url: URL
  public let header: EpisodeHeader
  /// Where frames go until `finish()`.
  public let temporaryURL: URL
  public private(set) var stepCount = 0
  private var handle: FileHandle?
  private let compressor: ZstdCompressor
  private var columns: [[UInt8]]
  private var frameSteps = 0
  private var frameIndex = 0
  private var ended = false
  private var payload: [UInt8] = []
  private var compressed: [UInt8] = []
  private var scratch: [UInt32] = []

  /// Creates `url.tmp` and writes the file header and the reset observation's place.
  public init(url: URL, header: EpisodeHeader, resetObservation: [Float]) throws {
    if let problem = header.problem() {
      throw EpisodeFileError(.invalidStep, "invalid header: \(problem)", path: url.path)
    }
    guard resetObservation.count == header.observationWidth else {
      throw EpisodeFileError(
        .invalidStep,
        "reset observation has \(resetObservation.count) floats, header says "
          + "\(header.observationWidth)", path: url.path)
    }
    self.url = url
    self.header = header
    self.temporaryURL = URL(fileURLWithPath: url.path + ".tmp")
    do {
      compressor = try ZstdCompressor(level: header.compressionLevel)
    } catch {
      throw EpisodeFileError(.invalidStep, "\(error)", path: url.path)
    }
    let sizes = EpisodeFormat.columnSizes(
      header, steps: header.frameLength, rows: header.frameLength + 1)
    columns = sizes.map { size in
      var column: [UInt8] = []
      column.reserveCapacity(size)
      return column
    }
    resetObservation.withUnsafeBytes { columns[0].append(contentsOf: $0) }

    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let json = try encoder.encode(header)
    var bytes = EpisodeFormat.fileMagic
    bytes.appendLittleEndian(EpisodeFormat.version)
    bytes.appendLittleEndian(UInt16(0))  // flags, reserved
    bytes.appendLittleEndian(UInt32(json.count))
    bytes.append(contentsOf: json)
    bytes.appendLittleEndian(CRC32C.checksum(bytes))
    guard FileManager.default.createFile(atPath: temporaryURL.path, contents: Data(bytes)) else {
      throw EpisodeFileError(.io, "cannot create \(temporaryURL.path)", path: url.path)
    }
    handle = try FileHandle(forWritingTo: temporaryURL)
    try handle?.seekToEnd()
  }

  deinit { try? handle?.close() }

  /// Records one step: the action taken, what the environment returned, the observation after
  /// it, and the agent's extras in header order.
  public func append(
    action: Action, step: Step, observation: [Float], extras: [[Float]] = []
  ) throws {
    guard handle != nil else { throw failure("the writer is finished") }
    guard !ended else { throw failure("the episode already ended at step \(stepCount - 1)") }
    guard observation.count == header.observationWidth else {
      throw failure(
        "observation has \(observation.count) floats, header says \(header.observationWidth)")
    }
    guard extras.count == header.extras.count else {
      throw failure("\(extras.count) extras given, header names \(header.extras.count)")
    }
    for (values, field) in zip(extras, header.extras) where values.count != field.width {
      throw failure("extra '\(field.name)' has \(values.count) floats, header says \(field.width)")
    }
    switch (action, header.action.kind) {
    case (.discrete(let index), .discrete):
      guard let value = Int32(exactly: index), value >= 0 else {
        throw failure("discrete action \(index) does not fit a non-negative Int32")
      }
      columns[1].appendLittleEndian(value)
    case (.continuous(let values), .continuous):
      guard values.count == header.action.width else {
        throw failure("action has \(values.count) floats, header says \(header.action.width)")
      }
      values.withUnsafeBytes { columns[1].append(contentsOf: $0) }
    default:
      throw failure("a \(action) action in a file of \(header.action.kind.rawValue) actions")
    }
    observation.withUnsafeBytes { columns[0].append(contentsOf: $0) }
    columns[2].appendLittleEndian(step.reward.bitPattern)
    columns[3].appendLittleEndian(step.cost.bitPattern)
    columns[4].append(step.end.rawValue)
    for (index, values) in extras.enumerated() {
      values.withUnsafeBytes { columns[5 + index].append(contentsOf: $0) }
    }
    stepCount += 1
    frameSteps += 1
    ended = step.end.isEnd
    if frameSteps == header.frameLength { try flushFrame() }
  }

  /// Writes the last frame and the footer, fsyncs, and renames `NAME.tmp` to `NAME`.
  @discardableResult
  public func finish() throws -> URL {
    guard let handle else { throw failure("the writer is finished") }
    if frameSteps > 0 || frameIndex == 0 { try flushFrame() }
    do {
      try handle.synchronize()
      let written = try Data(contentsOf: temporaryURL)
      var footer = EpisodeFormat.footerMagic
      footer.appendLittleEndian(UInt32(frameIndex))
      footer.appendLittleEndian(UInt64(stepCount))
      footer.appendLittleEndian(CRC32C.checksum(written))
      footer.append(contentsOf: EpisodeFormat.endMagic)
      try handle.write(contentsOf: footer)
      try handle.synchronize()
      try handle.close()
      self.handle = nil
    } catch {
      throw EpisodeFileError(.io, "writing \(temporaryURL.path): \(error)", path: url.path)
    }
    guard rename(temporaryURL.path, url.path) == 0 else {
      throw EpisodeFileError(
        .io, "cannot rename \(temporaryURL.path) to \(url.path): errno \(errno)", path: url.path)
    }
    // The rename itself is durable only once the directory is synced.
    let directory = open(url.deletingLastPathComponent().path, O_RDONLY)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
    return url
  }

  /// Abandons the file: closes and deletes `NAME.tmp`.
  public func cancel() {
    try? handle?.close()
    handle = nil
    try? FileManager.default.removeItem(at: temporaryURL)
  }

  /// Writes a whole episode in one call.
  @discardableResult
  public static func write(_ episode: Episode, to url: URL) throws -> URL {
    guard episode.isConsistent else {
      throw EpisodeFileError(
        .invalidStep, "episode columns do not match its header", path: url.path)
    }
    let writer = try EpisodeWriter(
      url: url, header: episode.header, resetObservation: Array(episode.observation(0)))
    do {
      for t in 0..<episode.stepCount {
        try writer.append(
          action: episode.action(t),
          step: Step(reward: episode.rewards[t], cost: episode.costs[t], end: episode.ends[t]),
          observation: Array(episode.observation(t + 1)),
          extras: episode.header.extras.indices.map { index in
            let width = episode.header.extras[index].width
            return Array(episode.extras[index][t * width..<(t + 1) * width])
          })
      }
      return try writer.finish()
    } catch {
      writer.cancel()
      throw error
    }
  }

  private func flushFrame() throws {
    guard let handle else { return }
    payload.removeAll(keepingCapacity: true)
    for index in columns.indices {
      EpisodeFormat.appendFiltered(
        column: index, columns[index], header: header, scratch: &scratch, to: &payload)
      columns[index].removeAll(keepingCapacity: true)
    }
    compressed.removeAll(keepingCapacity: true)
    do {
      try payload.withUnsafeBytes { _ = try compressor.compress($0, appendingTo: &compressed) }
    } catch {
      throw EpisodeFileError(.io, "compressing frame \(frameIndex): \(error)", path: url.path)
    }
    var frameHeader = EpisodeFormat.frameMagic
    frameHeader.appendLittleEndian(UInt32(frameIndex))
    frameHeader.appendLittleEndian(UInt32(frameSteps))
    frameHeader.appendLittleEndian(UInt32(compressed.count))
    frameHeader.appendLittleEndian(UInt32(payload.count))
    frameHeader.appendLittleEndian(CRC32C.checksum(compressed))
    frameHeader.appendLittleEndian(CRC32C.checksum(frameHeader))
    do {
      try handle.write(contentsOf: frameHeader)
      try handle.write(contentsOf: compressed)
    } catch {
      throw EpisodeFileError(.io, "writing \(temporaryURL.path): \(error)", path: url.path)
    }
    frameIndex += 1
    frameSteps = 0
  }

  private func failure(_ message: String) -> EpisodeFileError {
    EpisodeFileError(.invalidStep, "step \(stepCount): \(message)", path: url.path)
  }
}
