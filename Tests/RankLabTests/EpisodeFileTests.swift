import Environments
import Foundation
import Testing

@testable import RankLab

/// A small episode with every column in use: gridworld-like one-hot observations, Q-values and
/// a skill latent as extras, awkward floats where the format must be bit-exact.
func sampleEpisode(steps: Int, frameLength: Int, continuous: Bool = false, seed: UInt64 = 5)
  -> Episode
{
  var rng = PCG64(seed: seed)
  let width = 10
  let header = EpisodeHeader(
    environmentID: continuous ? "Pendulum-v1" : "gridworld/four-rooms",
    environmentOptions: .object(["time_limit": .integer(50), "noise": .number(0.05)]),
    seed: UInt64.max - 3, agentID: "dqn", observationWidth: width,
    action: continuous
      ? .init(kind: .continuous, width: 2) : .init(space: .discrete(5)),
    extras: [.init(name: "q_values", width: 5), .init(name: "latent", width: 3)],
    frameLength: frameLength)
  var observations = [Float](repeating: 0, count: (steps + 1) * width)
  for t in 0...steps {
    observations[t * width + rng.nextInt(below: 5)] = 1
    observations[t * width + 5 + rng.nextInt(below: 5)] = 1
  }
  if steps > 2 {  // specials must survive the XOR delta and shuffle
    observations[width + 1] = -.nan
    observations[2 * width + 2] = -0.0
    observations[2 * width + 3] = .infinity
    observations[width + 4] = Float(bitPattern: 0x7FA0_0001)
  }
  let actions: Episode.Actions =
    continuous
    ? .continuous((0..<steps * 2).map { _ in Float(rng.uniform(-2, 2)) })
    : .discrete((0..<steps).map { _ in Int32(rng.nextInt(below: 5)) })
  var rewards = (0..<steps).map { _ in rng.nextDouble() }
  if steps > 1 { rewards[1] = .nan }
  let costs = (0..<steps).map { _ in rng.nextInt(below: 10) == 0 ? 1.0 : 0.0 }
  var ends = [EpisodeEnd](repeating: .none, count: steps)
  if steps > 0 { ends[steps - 1] = .truncated }
  let q = (0..<steps * 5).map { _ in Float(rng.nextGaussian()) }
  let latent = (0..<steps * 3).map { index in index % 3 == 1 ? Float(1) : 0 }
  return Episode(
    header: header, observations: observations, actions: actions, rewards: rewards,
    costs: costs, ends: ends, extras: [q, latent])
}

/// Bit-level equality (Float == is false for NaN).
func sameEpisode(_ a: Episode, _ b: Episode) -> Bool {
  func bits(_ episode: Episode) -> [[UInt64]] {
    var columns: [[UInt64]] = [
      episode.observations.map { UInt64($0.bitPattern) },
      episode.rewards.map(\.bitPattern), episode.costs.map(\.bitPattern),
      episode.ends.map { UInt64($0.rawValue) },
    ]
    switch episode.actions {
    case .discrete(let values): columns.append(values.map { UInt64(UInt32(bitPattern: $0)) })
    case .continuous(let values): columns.append(values.map { UInt64($0.bitPattern) })
    }
    columns += episode.extras.map { $0.map { UInt64($0.bitPattern) } }
    return columns
  }
  return a.header == b.header && bits(a) == bits(b)
}

@Suite struct EpisodeFileTests {
  @Test(arguments: [(0, 4), (1, 4), (3, 4), (4, 4), (5, 4), (37, 8), (200, 256)])
  func episodesRoundTripBitExactly(steps: Int, frameLength: Int) throws {
    let dir = try temporaryDirectory()
    for continuous in [false, true] {
      let episode = sampleEpisode(steps: steps, frameLength: frameLength, continuous: continuous)
      #expect(episode.isConsistent)
      let url = dir.appendingPathComponent("e\(steps)-\(continuous).rlep")
      try EpisodeWriter.write(episode, to: url)
      #expect(!FileManager.default.fileExists(atPath: url.path + ".tmp"))
      let read = try EpisodeReader.read(from: url)
      #expect(sameEpisode(read, episode))
      #expect(read.stepCount == steps)
    }
  }

  @Test func accessorsGiveStepsBack() throws {
    let episode = sampleEpisode(steps: 6, frameLength: 4)
    #expect(episode.observation(0).count == 10)
    guard case .discrete(let actions) = episode.actions else { throw Failure() }
    #expect(episode.action(2) == .discrete(Int(actions[2])))
    #expect(episode.extra("latent", at: 1).map(Array.init) == [0, 1, 0])
    #expect(episode.extra("nope", at: 1) == nil)
    #expect(episode.header.seed == UInt64.max - 3)
  }

  @Test func unfinishedWritersLeaveOnlyTheTemporaryFile() throws {
    let dir = try temporaryDirectory()
    let url = dir.appendingPathComponent("crash.rlep")
    let episode = sampleEpisode(steps: 9, frameLength: 4)
    do {
      let writer = try EpisodeWriter(
        url: url, header: episode.header, resetObservation: Array(episode.observation(0)))
      for t in 0..<9 {
        try writer.append(
          action: episode.action(t), step: Step(reward: 1),
          observation: Array(episode.observation(t + 1)),
          extras: [[Float](repeating: 0, count: 5), [0, 0, 1]])
      }
      // No finish: the "crash". Two whole frames are already on disk in the .tmp.
    }
    #expect(!FileManager.default.fileExists(atPath: url.path))
    let partial = try Data(contentsOf: URL(fileURLWithPath: url.path + ".tmp"))
    #expect(partial.count > 100)
    let error = try #require(throws: EpisodeFileError.self) {
      _ = try EpisodeReader.decode([UInt8](partial))
    }
    #expect(error.kind == .truncated)
  }

  @Test func writersRejectStepsThatContradictTheHeader() throws {
    let dir = try temporaryDirectory()
    let episode = sampleEpisode(steps: 2, frameLength: 4)
    let writer = try EpisodeWriter(
      url: dir.appendingPathComponent("bad.rlep"), header: episode.header,
      resetObservation: Array(episode.observation(0)))
    let extras: [[Float]] = [[0, 0, 0, 0, 0], [0, 0, 1]]
    let obs = Array(episode.observation(1))
    #expect(throws: EpisodeFileError.self) {
      try writer.append(
        action: .continuous([1]), step: Step(reward: 0), observation: obs, extras: extras)
    }
    #expect(throws: EpisodeFileError.self) {
      try writer.append(
        action: .discrete(1), step: Step(reward: 0), observation: [1], extras: extras)
    }
    #expect(throws: EpisodeFileError.self) {
      try writer.append(action: .discrete(1), step: Step(reward: 0), observation: obs)
    }
    try writer.append(
      action: .discrete(1), step: Step(reward: 0, end: .terminated), observation: obs,
      extras: extras)
    let error = try #require(throws: EpisodeFileError.self) {
      try writer.append(
        action: .discrete(1), step: Step(reward: 0), observation: obs, extras: extras)
    }
    #expect(error.description.contains("already ended"))
    writer.cancel()
  }

  @Test func foreignAndDamagedFilesSayWhatIsWrongAndWhere() throws {
    let good = try encoded(sampleEpisode(steps: 20, frameLength: 8))
    func failure(_ bytes: [UInt8]) throws -> EpisodeFileError {
      try #require(throws: EpisodeFileError.self) { _ = try EpisodeReader.decode(bytes) }
    }
    let foreign = try failure(Array("PK\u{3}\u{4} a zip file, not an episode".utf8))
    #expect(foreign.kind == .notAnEpisodeFile)
    #expect(foreign.description.contains("not a ranklab episode file"))
    #expect(try failure([]).kind == .truncated)

    var future = good
    future[4] = 9
    let version = try failure(future)
    #expect(version.kind == .unsupportedVersion)
    #expect(version.description.contains("version 9"))

    let truncated = try failure(Array(good.prefix(good.count - 30)))
    #expect(truncated.kind == .truncated)
    #expect(truncated.offset == good.count - 30)
    #expect(truncated.description.contains("truncated at offset \(good.count - 30)"))

    // Flip a byte inside frame 1's payload: its checksum names frame 1.
    let frame1 = try frameOffsets(good)[1]
    var flipped = good
    flipped[frame1 + EpisodeFormat.frameHeaderSize + 3] ^= 0x10
    let mismatch = try failure(flipped)
    #expect(mismatch.kind == .checksumMismatch)
    #expect(mismatch.frame == 1)
    #expect(mismatch.description.contains("frame 1 checksum mismatch"))

    var trailing = good
    trailing.append(0)
    #expect(try failure(trailing).kind == .trailingBytes)
  }

  @Test func invalidHeaderJSONIsReportedWithItsLocation() throws {
    var bytes = EpisodeFormat.fileMagic
    bytes.appendLittleEndian(EpisodeFormat.version)
    bytes.appendLittleEndian(UInt16(0))
    let json = Array(#"{"env_id": "CartPole-v1", "seed": 1}"#.utf8)
    bytes.appendLittleEndian(UInt32(json.count))
    bytes += json
    bytes.appendLittleEndian(CRC32C.checksum(bytes))
    let error = try #require(throws: EpisodeFileError.self) { _ = try EpisodeReader.decode(bytes) }
    #expect(error.kind == .headerInvalid)
    #expect(error.offset == 12)
    #expect(error.description.contains("missing key"))
  }

  /// Thousands of random truncations and bit flips of a valid file: each must throw an
  /// `EpisodeFileError` or decode to the original; a crash or hang fails the whole run.
  @Test func readerSurvivesFuzzedFiles() throws {
    let episode = sampleEpisode(steps: 30, frameLength: 8)
    let good = try encoded(episode)
    var rng = PCG64(seed: 2024)
    var outcomes: [EpisodeFileError.Kind: Int] = [:]
    var decodedIntact = 0
    let clock = ContinuousClock()
    let started = clock.now
    for trial in 0..<4000 {
      var bytes = good
      if trial % 2 == 0 {
        bytes.removeLast(1 + rng.nextInt(below: bytes.count))
      } else {
        for _ in 0...rng.nextInt(below: 3) {
          bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 << rng.nextInt(below: 8))
        }
      }
      do {
        let decoded = try EpisodeReader.decode(bytes)
        #expect(sameEpisode(decoded, episode), "trial \(trial) decoded to something else")
        decodedIntact += 1
      } catch let error as EpisodeFileError {
        outcomes[error.kind, default: 0] += 1
      }
    }
    let elapsed = clock.now - started
    let milliseconds =
      elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    print(
      "episode fuzz: \(good.count)-byte file, 4000 cases in \(milliseconds) ms, outcomes",
      outcomes.map { "\($0.key.rawValue): \($0.value)" }.sorted(), "intact \(decodedIntact)")
    // Every byte is under a checksum, so no flip can go unnoticed.
    #expect(decodedIntact == 0)
    #expect(outcomes[.truncated, default: 0] >= 1900)
    #expect(elapsed < .seconds(20))
  }

  func encoded(_ episode: Episode) throws -> [UInt8] {
    let url = try temporaryDirectory().appendingPathComponent("e.rlep")
    try EpisodeWriter.write(episode, to: url)
    return [UInt8](try Data(contentsOf: url))
  }

  /// Frame starts, found by walking the framing as FORMAT.md describes it.
  func frameOffsets(_ bytes: [UInt8]) throws -> [Int] {
    var offset = 12 + Int(bytes.littleEndian(UInt32.self, at: 8)) + 4
    var offsets: [Int] = []
    while Array(bytes[offset..<offset + 4]) == EpisodeFormat.frameMagic {
      offsets.append(offset)
      offset +=
        EpisodeFormat.frameHeaderSize + Int(bytes.littleEndian(UInt32.self, at: offset + 12))
    }
    #expect(Array(bytes[offset..<offset + 4]) == EpisodeFormat.footerMagic)
    return offsets
  }

  struct Failure: Error {}
}
