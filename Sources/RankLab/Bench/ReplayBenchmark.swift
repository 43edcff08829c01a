import Environments
import Foundation

/// The replay buffer's size and speed on three kinds of observations, and plain zstd on the
/// same bytes for comparison (`ranklab bench replay`).
public enum ReplayBenchmark {
  /// A kind of observation: an environment and its encoding.
  public struct Case: Sendable {
    public var name: String
    public var environment: String
    public var observation: GridObservation?
  }

  public static let cases = [
    Case(name: "cartpole", environment: "CartPole-v1", observation: nil),
    Case(name: "gridworld-onehot", environment: "gridworld/four-rooms", observation: .onehot),
    Case(name: "gridworld-image", environment: "gridworld/four-rooms", observation: .image),
  ]

  /// Storage settings compared: `fast` (raw columns, distinct observations stored once where
  /// the environment's observations repeat) and `compact` (every column filtered and zstd'd,
  /// no deduplication: the chunk codecs alone).
  public static let variants = ["fast", "compact"]

  public static func config(variant: String, transitions: Int, level: Int) throws -> ReplayConfig {
    var config = ReplayConfig()
    config.capacity = transitions
    switch variant {
    case "fast":
      config.dedupObservations = .auto
    case "compact":
      config.dedupObservations = .off
      config.codecs = .compact
      for path in [\ReplayCodecs.observations, \.frameIndex, \.actions, \.rewards, \.costs, \.ends]
      {
        if case .zstd(_, let filters) = config.codecs[keyPath: path] {
          config.codecs[keyPath: path] = .zstd(level: level, filters: filters)
        }
      }
    default:
      throw RunError.unsupported("unknown variant '\(variant)'; expected one of \(variants)")
    }
    return config
  }

  /// One case and variant, measured in this process.
  public struct Result: Codable, Sendable {
    public var name: String
    public var variant: String
    public var transitions: Int
    public var observationFloats: Int
    public var bytes: Int
    public var rawBytes: Int
    public var memoryBytes: Int
    public var compressionRatio: Double
    public var distinctObservations: Int?
    /// Transitions added per second (environment stepping excluded).
    public var insertPerSecond: Double
    public var batchSize: Int
    /// Mean time to sample one uniform batch.
    public var sampleMicroseconds: Double
    public var sampledBatches: Int
    /// Peak resident memory of the process that filled and sampled the buffer, in MiB.
    public var peakRSSMiB: Double
    /// Plain zstd at the same level on the plain layout of the first transitions.
    public var plainZstd: PlainZstd?
  }

  /// zstd without filters on the bytes a plain buffer holds, chunk by chunk.
  public struct PlainZstd: Codable, Sendable {
    public var transitions: Int
    public var chunkTransitions: Int
    public var level: Int
    public var rawBytes: Int
    public var compressedBytes: Int
    public var compressMBPerSecond: Double
    public var decompressMBPerSecond: Double
    public var ratio: Double { Double(rawBytes) / Double(max(compressedBytes, 1)) }
  }

  /// Fills a buffer with `transitions` random-action transitions and times insertion and
  /// uniform sampling (for at most `sampleSeconds`); with `plainSample` > 0 also compresses the
  /// plain layout of that many transitions with plain zstd and, given `dump`, writes those raw
  /// bytes there (for the Python anchor).
  public static func measure(
    _ benchCase: Case, variant: String, transitions: Int, batchSize: Int, level: Int,
    sampleSeconds: Double, plainSample: Int, dump: URL?
  ) throws -> Result {
    var options = EnvironmentOptions()
    options.observation = benchCase.observation
    let env = try EnvironmentCatalog.make(id: benchCase.environment, options: options)
    let config = try config(variant: variant, transitions: transitions, level: level)
    return try measure(
      env, name: benchCase.name, variant: variant, config: config, batchSize: batchSize,
      level: level, sampleSeconds: sampleSeconds, plainSample: plainSample, dump: dump)
  }

  private static func measure<E: Environment>(
    _ prototype: E, name: String, variant: String, config: ReplayConfig, batchSize: Int,
    level: Int, sampleSeconds: Double, plainSample: Int, dump: URL?
  ) throws -> Result {
    let width = prototype.observationSpace.flatCount
    let replay = try ReplayBuffer(
      config: config, observationCount: width, actionSpace: prototype.actionSpace,
      discount: 0.99, observationsRepeat: prototype.observationsRepeat)
    let transitions = config.capacity
    // The same random walk twice: once stepping only, once stepping and adding; the
    // difference is the buffer's cost.
    func trajectory(adding: Bool) -> Duration {
      var env = prototype
      var rng = PCG64(seed: 7)
      let start = env.reset(seed: 0)
      return ContinuousClock().measure {
        OfflineDataset.randomWalk(env: &env, observation: start, rng: &rng, steps: transitions) {
          observation, action, step, next in
          guard adding else { return }
          replay.add(
            observation: observation, action: action, reward: step.reward, cost: step.cost,
            end: step.end, nextObservation: next)
        }
      }
    }
    let stepping = trajectory(adding: false)
    let filling = trajectory(adding: true)
    let insertSeconds = max((filling - stepping).inSeconds, 1e-9)

    // What a TD learner (DQN, FQI, CQL) samples: no costs or Monte-Carlo returns.
    var batch = replay.makeBatch(size: batchSize, extras: [])
    var rng = PCG64(seed: 11)
    for _ in 0..<3 { replay.sample(into: &batch, rng: &rng) }  // warm the cache and pages
    let clock = ContinuousClock()
    let start = clock.now
    var batches = 0
    while batches < 20_000 && (clock.now - start).inSeconds < sampleSeconds {
      replay.sample(into: &batch, rng: &rng)
      batches += 1
    }
    let sampleMicroseconds = (clock.now - start).inSeconds / Double(batches) * 1e6

    let usage = replay.usage
    // The buffer's footprint, before the plain-zstd comparison allocates its own copies.
    let peakRSS = peakResidentMiB()
    let plain =
      plainSample > 0
      ? try plainZstd(replay, transitions: min(plainSample, replay.count), level: level, dump: dump)
      : nil
    return Result(
      name: name, variant: variant, transitions: replay.count, observationFloats: width,
      bytes: usage.bytes, rawBytes: usage.rawBytes, memoryBytes: usage.memoryBytes,
      compressionRatio: usage.compressionRatio, distinctObservations: usage.distinctObservations,
      insertPerSecond: Double(transitions) / insertSeconds, batchSize: batchSize,
      sampleMicroseconds: sampleMicroseconds, sampledBatches: batches,
      peakRSSMiB: peakRSS, plainZstd: plain)
  }

  /// The plain layout (observation and next observation rows, action, reward, cost, terminal,
  /// end, return: what `plainBytesPerTransition` counts) of the first `transitions`, compressed
  /// chunk by chunk with plain zstd at `level`.
  static func plainZstd(_ replay: ReplayBuffer, transitions: Int, level: Int, dump: URL?) throws
    -> PlainZstd
  {
    let chunk = replay.chunkSize
    var chunks: [[UInt8]] = []
    var batch = replay.makeBatch(size: chunk)
    var start = 0
    while start < transitions {
      let count = min(chunk, transitions - start)
      replay.gather(positions: Array(start..<start + count), into: &batch)
      var bytes: [UInt8] = []
      func append<T>(_ values: ArraySlice<T>) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
      }
      let w = replay.observationCount
      append(batch.observations[..<(count * w)])
      append(batch.nextObservations[..<(count * w)])
      if replay.actionsAreContinuous {
        append(batch.continuousActions[..<(count * replay.actionWidth)])
      } else {
        append(batch.actionIndices[..<count])
      }
      append(batch.rewards[..<count])
      append(batch.costs[..<count])
      append(batch.terminals[..<count])
      append((start..<start + count).map { replay.end(of: replay.firstIndex + $0).rawValue }[...])
      append(batch.returns[..<count])
      chunks.append(bytes)
      start += count
    }
    if let dump {
      try Data(chunks.joined()).write(to: dump)
    }
    let compressor = try ZstdCompressor(level: level)
    let decompressor = try ZstdDecompressor()
    var compressed: [[UInt8]] = []
    let clock = ContinuousClock()
    let compressTime = try clock.measure {
      for raw in chunks {
        var output: [UInt8] = []
        try raw.withUnsafeBytes { _ = try compressor.compress($0, appendingTo: &output) }
        compressed.append(output)
      }
    }
    var scratch = [UInt8](repeating: 0, count: chunks.map(\.count).max() ?? 0)
    let decompressTime = try clock.measure {
      for (raw, packed) in zip(chunks, compressed) {
        try packed.withUnsafeBytes { source in
          try scratch.withUnsafeMutableBytes {
            try decompressor.decompress(
              source, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<raw.count]))
          }
        }
      }
    }
    let rawBytes = chunks.reduce(0) { $0 + $1.count }
    let megabytes = Double(rawBytes) / 1e6
    return PlainZstd(
      transitions: transitions, chunkTransitions: chunk, level: level, rawBytes: rawBytes,
      compressedBytes: compressed.reduce(0) { $0 + $1.count },
      compressMBPerSecond: megabytes / compressTime.inSeconds,
      decompressMBPerSecond: megabytes / decompressTime.inSeconds)
  }

  /// The process's peak resident set (Linux `VmHWM`), in MiB.
  public static func peakResidentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kilobytes / 1024
  }
}
