import Environments
import Foundation
import Testing

@testable import RankLab

/// The chunked replay buffer against a plain list of the transitions it was given: every codec,
/// with and without deduplication, through eviction, checkpoints and each way of sampling.
@Suite struct ReplayBufferTests {
  struct Transition {
    var observation: [Float]
    var action: Action
    var reward: Float
    var cost: Float
    var end: EpisodeEnd
    var next: [Float]
  }

  /// Episodes of `width`-float observations drawn from `values` (a small set, so rows repeat
  /// like a gridworld's), with odd floats mixed in: NaN payloads, infinities, negative zero.
  static func episodes(_ count: Int, width: Int, seed: UInt64, continuous: Bool = false)
    -> [Transition]
  {
    var rng = PCG64(seed: seed)
    let special: [Float] = [
      .nan, Float(bitPattern: 0x7FC0_1234), .infinity, -.infinity, -0.0, 0, 1, -1,
      .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]
    func observation() -> [Float] {
      (0..<width).map { _ in
        rng.nextInt(below: 4) == 0
          ? special[rng.nextInt(below: special.count)] : Float(rng.nextInt(below: 3))
      }
    }
    var transitions: [Transition] = []
    var current = observation()
    while transitions.count < count {
      let next = observation()
      let roll = rng.nextInt(below: 20)
      let end: EpisodeEnd = roll == 0 ? .terminated : roll == 1 ? .truncated : .none
      let action: Action =
        continuous
        ? .continuous([Float(rng.uniform(-1, 1)), special[rng.nextInt(below: special.count)]])
        : .discrete(rng.nextInt(below: 3))
      let reward =
        rng.nextInt(below: 7) == 0
        ? special[rng.nextInt(below: special.count)] : Float(rng.uniform(-1, 1))
      transitions.append(
        Transition(
          observation: current, action: action, reward: reward, cost: Float(rng.nextInt(below: 2)),
          end: end, next: next))
      current = end.isEnd ? observation() : next
    }
    return transitions
  }

  static func fill(_ replay: ReplayBuffer, _ transitions: [Transition]) {
    for t in transitions {
      t.observation.withUnsafeBufferPointer { o in
        t.next.withUnsafeBufferPointer { n in
          replay.add(
            observation: o, action: t.action, reward: Double(t.reward), cost: Double(t.cost),
            end: t.end, nextObservation: n)
        }
      }
    }
  }

  static func make(
    capacity: Int, chunk: Int, codecs: ReplayCodecs = ReplayCodecs(), dedup: Bool = false,
    width: Int = 5, actions: Space = .discrete(3), edit: (inout ReplayConfig) -> Void = { _ in }
  ) throws -> ReplayBuffer {
    var config = ReplayConfig()
    config.capacity = capacity
    config.chunkSize = chunk
    config.codecs = codecs
    config.cacheChunks = 2
    config.dedupObservations = dedup ? .on : .off
    edit(&config)
    return try ReplayBuffer(
      config: config, observationCount: width, actionSpace: actions, discount: 0.9)
  }

  static func bits(_ values: ArraySlice<Float>) -> [UInt32] { values.map(\.bitPattern) }

  /// Every stored transition's fields as bit patterns, in order (to compare two buffers).
  static func snapshot(_ replay: ReplayBuffer) -> [UInt32] {
    var batch = replay.makeBatch(size: max(replay.count, 1))
    replay.gather(positions: Array(0..<replay.count), into: &batch)
    return bits(batch.observations[...]) + bits(batch.nextObservations[...])
      + batch.actionIndices.map { UInt32(bitPattern: $0) } + bits(batch.continuousActions[...])
      + bits(batch.rewards[...]) + bits(batch.costs[...]) + bits(batch.terminals[...])
      + bits(batch.returns[...])
  }

  /// Every stored transition equals the reference, bit for bit.
  static func expectStored(_ replay: ReplayBuffer, equal all: [Transition]) {
    let expected = Array(all[replay.firstIndex...])
    #expect(replay.count == expected.count)
    var batch = replay.makeBatch(size: replay.count)
    replay.gather(positions: Array(0..<replay.count), into: &batch)
    let w = replay.observationCount
    for (row, t) in expected.enumerated() {
      let o = bits(batch.observations[row * w..<(row + 1) * w])
      let n = bits(batch.nextObservations[row * w..<(row + 1) * w])
      #expect(o == t.observation.map(\.bitPattern), "observation of row \(row)")
      #expect(n == t.next.map(\.bitPattern), "next observation of row \(row)")
      switch t.action {
      case .discrete(let index): #expect(Int(batch.actionIndices[row]) == index)
      case .continuous(let values):
        let a = replay.actionWidth
        #expect(bits(batch.continuousActions[row * a..<(row + 1) * a]) == values.map(\.bitPattern))
      }
      #expect(batch.rewards[row].bitPattern == t.reward.bitPattern)
      #expect(batch.costs[row] == t.cost)
      #expect(batch.terminals[row] == (t.end == .terminated ? 1 : 0))
      #expect(batch.discounts[row] == 0.9)
    }
  }

  static let codecChoices: [(String, ReplayCodecs)] = [
    ("none", ReplayCodecs()), ("compact", .compact),
    (
      "plain zstd",
      {
        var codecs = ReplayCodecs()
        codecs.observations = .zstd(level: 1, filters: [])
        codecs.rewards = .zstd(level: 1, filters: [.delta(.xor)])
        codecs.actions = .zstd(level: -3, filters: [.shuffle])
        return codecs
      }()
    ),
  ]

  @Test(arguments: [false, true])
  func everyCodecStoresTransitionsBitExactlyThroughEviction(dedup: Bool) throws {
    for (name, codecs) in Self.codecChoices {
      for actions in [Space.discrete(3), .box(low: [-1, -1], high: [1, 1])] {
        let all = Self.episodes(
          1500, width: 5, seed: 7, continuous: actions != .discrete(3))
        let replay = try Self.make(
          capacity: 700, chunk: 64, codecs: codecs, dedup: dedup, actions: actions)
        Self.fill(replay, all)
        // Full at 700: whole chunks of 64 were evicted, oldest first.
        #expect(replay.firstIndex % 64 == 0 && replay.count <= 700 && replay.count > 700 - 64)
        Self.expectStored(replay, equal: all)
        #expect(replay.deduplicatesObservations == dedup, "\(name)")
      }
    }
  }

  /// The in-place sampler (raw columns, three prefetching passes) copies exactly what the
  /// general per-row path copies.
  @Test(arguments: [false, true])
  func inPlaceSamplingMatchesTheGeneralPath(dedup: Bool) throws {
    let all = Self.episodes(5000, width: 6, seed: 13)
    let replay = try Self.make(capacity: 3000, chunk: 128, dedup: dedup, width: 6)
    Self.fill(replay, all)
    #expect(replay.readsInPlace)
    var fast = replay.makeBatch(size: 256)
    var general = replay.makeBatch(size: 256)
    var rng = PCG64(seed: 3)
    replay.sample(into: &fast, rng: &rng, requireReturns: true)
    for row in 0..<256 { replay.copy(fast.indices[row], into: &general, row: row) }
    #expect(Self.bits(fast.observations[...]) == Self.bits(general.observations[...]))
    #expect(Self.bits(fast.nextObservations[...]) == Self.bits(general.nextObservations[...]))
    #expect(fast.actionIndices == general.actionIndices)
    #expect(Self.bits(fast.rewards[...]) == Self.bits(general.rewards[...]))
    #expect(fast.costs == general.costs && fast.terminals == general.terminals)
    #expect(Self.bits(fast.returns[...]) == Self.bits(general.returns[...]))
    #expect(fast.discounts == general.discounts)
    // requireReturns drew only transitions of finished episodes (whose returns may still be
    // NaN here: these rewards include NaN and infinities).
    #expect(replay.finishedCount < replay.count)
    #expect(fast.indices.allSatisfy { $0 < replay.firstIndex + replay.finishedCount })
  }

  @Test func nextObservationsAreNotStoredTwice() throws {
    let all = Self.episodes(2000, width: 16, seed: 3)
    let replay = try Self.make(capacity: 4096, chunk: 256, width: 16)
    Self.fill(replay, all)
    let episodes = all.filter(\.end.isEnd).count
    // One row per transition, one more per episode start and per chunk start.
    let frames =
      (0..<replay.count / 256).map { replay.chunk(number: $0).frameCount }.reduce(0, +)
      + replay.open.frameCount
    #expect(frames <= 2000 + episodes + 1 + 2000 / 256 + 1)
    #expect(replay.usage.compressionRatio > 1.6)  // a plain buffer: 1.0
  }

  @Test func monteCarloReturnsAreTheDiscountedRewardsToGo() throws {
    var all = Self.episodes(600, width: 3, seed: 11)
    for i in all.indices { all[i].reward = Float(i % 5) - 2 }
    let replay = try Self.make(capacity: 400, chunk: 32, width: 3)
    Self.fill(replay, all)
    var batch = replay.makeBatch(size: replay.count)
    replay.gather(positions: Array(0..<replay.count), into: &batch)
    var expected = [Float](repeating: .nan, count: all.count)
    var running: Float = 0
    var open = true
    for i in all.indices.reversed() {
      if all[i].end.isEnd {
        running = 0
        open = false
      }
      running = all[i].reward + 0.9 * running
      if !open { expected[i] = running }
    }
    for row in 0..<replay.count {
      let e = expected[replay.firstIndex + row]
      #expect(e.isNaN ? batch.returns[row].isNaN : abs(batch.returns[row] - e) < 1e-4)
    }
  }

  @Test func memoryCapEvictsOldestChunks() throws {
    let all = Self.episodes(6000, width: 32, seed: 5)
    let limit = 0.25
    let replay = try Self.make(capacity: 6000, chunk: 128, width: 32) { $0.memoryLimitMB = limit }
    Self.fill(replay, all)
    #expect(replay.memoryBytes <= Int(limit * 1_048_576))
    #expect(replay.count < 6000 && replay.firstIndex % 128 == 0)
    Self.expectStored(replay, equal: all)
  }

  @Test func deduplicationKeepsOneRowPerDistinctObservation() throws {
    // Observations from {0, 1, 2}^2: at most 9 distinct rows however many transitions.
    var rng = PCG64(seed: 2)
    var all: [Transition] = []
    for i in 0..<3000 {
      let o = [Float(rng.nextInt(below: 3)), Float(rng.nextInt(below: 3))]
      let n = [Float(rng.nextInt(below: 3)), Float(rng.nextInt(below: 3))]
      all.append(
        Transition(
          observation: o, action: .discrete(0), reward: 0, cost: 0,
          end: i % 10 == 9 ? .terminated : .none, next: n))
    }
    let replay = try Self.make(capacity: 1000, chunk: 100, dedup: true, width: 2)
    Self.fill(replay, all)
    #expect(replay.usage.distinctObservations! <= 9)
    Self.expectStored(replay, equal: all)
  }

  @Test func checkpointRestoresTheBufferBitForBit() throws {
    for (_, codecs) in Self.codecChoices {
      for dedup in [false, true] {
        let all = Self.episodes(1300, width: 4, seed: 9)
        let edit: (inout ReplayConfig) -> Void = { $0.prioritized.enabled = true }
        let replay = try Self.make(
          capacity: 1000, chunk: 64, codecs: codecs, dedup: dedup, width: 4, edit: edit)
        Self.fill(replay, all)
        var archive = CheckpointArchive()
        try replay.save(into: &archive)
        let restored = try Self.make(
          capacity: 1000, chunk: 64, codecs: codecs, dedup: dedup, width: 4, edit: edit)
        try restored.load(from: archive)
        var again = CheckpointArchive()
        try restored.save(into: &again)
        #expect(again.sections == archive.sections)
        // Both sample the same batches and keep doing so as more transitions arrive.
        var a = replay.makeBatch(size: 32)
        var b = restored.makeBatch(size: 32)
        var rngA = PCG64(seed: 1)
        var rngB = PCG64(seed: 1)
        let more = Self.episodes(300, width: 4, seed: 10)
        Self.fill(replay, more)
        Self.fill(restored, more)
        replay.sample(into: &a, rng: &rngA)
        restored.sample(into: &b, rng: &rngB)
        #expect(
          a.indices == b.indices && Self.bits(a.observations[...]) == Self.bits(b.observations[...])
        )
        #expect(a.weights == b.weights)
        Self.expectStored(restored, equal: all + more)
      }
    }
  }

  @Test func damagedCheckpointsAreRejectedNotTrusted() throws {
    let all = Self.episodes(500, width: 4, seed: 9)
    let replay = try Self.make(capacity: 400, chunk: 32, codecs: .compact, dedup: true, width: 4)
    Self.fill(replay, all)
    var archive = CheckpointArchive()
    try replay.save(into: &archive)
    let chunks = try archive.bytes("replay/chunks")
    var rng = PCG64(seed: 3)
    var rejected = 0
    for _ in 0..<200 {
      var damaged = archive
      var bytes = chunks
      let at = rng.nextInt(below: bytes.count)
      bytes[at] ^= UInt8(1 << rng.nextInt(below: 8))
      damaged.put("replay/chunks", bytes: bytes)
      let target = try Self.make(
        capacity: 400, chunk: 32, codecs: .compact, dedup: true, width: 4)
      do {
        try target.load(from: damaged)
        // A flip the checks cannot see (a reward's mantissa) must still leave a usable buffer.
        var batch = target.makeBatch(size: 64)
        var sampler = PCG64(seed: 4)
        target.sample(into: &batch, rng: &sampler)
      } catch {
        rejected += 1
      }
    }
    // Flips in encoded columns fail zstd's frame checksum; flips in frame numbers, ids,
    // actions and ends fail the checks; a flip in a raw reward or return goes unseen here (in
    // a file, the archive's per-section CRC-32C catches it).
    #expect(rejected > 100)
    var wrongLayout = archive
    try wrongLayout.put("replay/layout", json: ["nonsense": 1])
    #expect(throws: (any Error).self) {
      try Self.make(capacity: 400, chunk: 32, codecs: .compact, dedup: true, width: 4).load(
        from: wrongLayout)
    }
  }

  @Test func nStepReturnsStopAtEpisodeEnds() throws {
    var all: [Transition] = []
    for i in 0..<40 {
      let end: EpisodeEnd = i == 9 ? .terminated : i == 19 ? .truncated : .none
      all.append(
        Transition(
          observation: [Float(i)], action: .discrete(0), reward: Float(i), cost: 0, end: end,
          next: [Float(i) + 0.5]))
    }
    let replay = try Self.make(capacity: 64, chunk: 8, width: 1) { $0.nStep = 3 }
    Self.fill(replay, all)
    var batch = replay.makeBatch(size: 1)
    func row(_ t: Int) -> (Float, Float, Float, Float) {
      var rng = PCG64(seed: 0)
      // Draw until transition t comes up: the buffer samples uniformly.
      repeat { replay.sample(into: &batch, rng: &rng) } while batch.indices[0] != t
      return (batch.rewards[0], batch.discounts[0], batch.terminals[0], batch.nextObservations[0])
    }
    let g: Float = 0.9
    // Three steps inside an episode: r_t + g r_{t+1} + g^2 r_{t+2}, bootstrap g^3 from s_{t+3}.
    #expect(row(2) == (2 + g * 3 + g * g * 4, g * g * g, 0, 4.5))
    // The terminal step 9 cuts the sum after two rewards and marks it terminal.
    #expect(row(8) == (8 + g * 9, g * g, 1, 9.5))
    // Truncation at 19 cuts the sum but still bootstraps from its next observation.
    #expect(row(18) == (18 + g * 19, g * g, 0, 19.5))
    // The newest transition has nothing after it: one step.
    #expect(row(39) == (39, g, 0, 39.5))
  }

  @Test func sequencesFollowOneEpisodeAndMaskTheRest() throws {
    let all = Self.episodes(3000, width: 2, seed: 21)
    let replay = try Self.make(capacity: 3000, chunk: 128, codecs: .compact, width: 2)
    Self.fill(replay, all)
    let length = 8
    var batch = replay.makeBatch(size: 32 * length)
    var rng = PCG64(seed: 5)
    replay.sampleSequences(into: &batch, length: length, rng: &rng)
    var masked = 0
    for s in 0..<32 {
      let first = batch.indices[s * length]
      var ended = false
      for k in 0..<length {
        let row = s * length + k
        if ended || first + k >= all.count {
          #expect(batch.mask[row] == 0)
          masked += 1
          ended = true
          continue
        }
        #expect(batch.mask[row] == 1 && batch.indices[row] == first + k)
        #expect(batch.observations[row * 2].bitPattern == all[first + k].observation[0].bitPattern)
        ended = all[first + k].end.isEnd
      }
    }
    #expect(masked > 0)  // episodes here last ~10 steps, so some sequences run past an end
  }

  @Test func prioritizedSamplingFollowsPriorities() throws {
    let all = Self.episodes(100, width: 1, seed: 1)
    let replay = try Self.make(capacity: 100, chunk: 10, width: 1) {
      $0.prioritized.enabled = true
      $0.prioritized.alpha = 1
      $0.prioritized.epsilon = 1e-9
    }
    Self.fill(replay, all)
    // Priorities: transition 7 gets 50, transition 30 gets 25, the rest 0.25 each.
    var batch = replay.makeBatch(size: 100)
    batch.count = 100
    var errors = [Float](repeating: 0.25, count: 100)
    for row in 0..<100 { batch.indices[row] = row }
    errors[7] = 50
    errors[30] = 25
    errors.withUnsafeBufferPointer { replay.updatePriorities(of: batch, errors: $0) }
    var counts = [Int](repeating: 0, count: 100)
    var rng = PCG64(seed: 8)
    var sample = replay.makeBatch(size: 64)
    replay.beta = 1
    for _ in 0..<400 {
      replay.sample(into: &sample, rng: &rng)
      for row in 0..<64 { counts[sample.indices[row]] += 1 }
      for row in 0..<64 where sample.indices[row] == 7 {
        #expect(abs(sample.weights[row] - 0.5) < 1e-3 || sample.weights[row] < 0.5)
      }
    }
    let total = Double(400 * 64)
    let mass = 50.0 + 25 + 98 * 0.25  // 99.5
    #expect(abs(Double(counts[7]) / total - 50 / mass) < 0.02)
    #expect(abs(Double(counts[30]) / total - 25 / mass) < 0.02)
    // The rarest transition carries the largest weight, 1 after normalization.
    replay.sample(into: &sample, rng: &rng)
    let rare = (0..<64).first { sample.indices[$0] != 7 && sample.indices[$0] != 30 }
    if let rare { #expect(sample.weights[rare] == 1) }
  }

  @Test func sumTreeFindsByCumulativeMass() {
    var tree = SumTree(count: 5)
    for (leaf, p) in [1.0, 0, 3, 0, 6].enumerated() { tree.set(leaf, p) }
    #expect(tree.total == 10)
    #expect(tree.find(0) == 0 && tree.find(0.999) == 0)
    #expect(tree.find(1) == 2 && tree.find(3.999) == 2)
    #expect(tree.find(4) == 4 && tree.find(9.999) == 4)
    #expect(tree.find(10.5) == 4)  // rounding past the total stays on a live leaf
  }

  @Test func sumTreeBatchedFindMatchesOneAtATime() {
    var rng = PCG64(seed: 12)
    var tree = SumTree(count: 3000)
    for leaf in 0..<3000 where rng.nextInt(below: 4) != 0 { tree.set(leaf, rng.nextDouble()) }
    let masses = (0..<500).map { _ in rng.nextDouble() * tree.total } + [0, tree.total.nextDown]
    var leaves = [Int](repeating: -1, count: masses.count)
    masses.withUnsafeBufferPointer { m in
      leaves.withUnsafeMutableBufferPointer { tree.find(m, into: $0) }
    }
    #expect(leaves == masses.map { tree.find($0) })
    #expect(leaves.allSatisfy { tree.priority($0) > 0 })
  }

  @Test func compactCodecsShrinkOneHotGridworldTwentyFold() throws {
    var env = try EnvironmentCatalog.make(id: "gridworld/four-rooms", options: .init())
    var rng = PCG64(seed: 0)
    for dedup in [false, true] {
      var config = ReplayConfig()
      config.capacity = 20_000
      config.codecs = dedup ? ReplayCodecs() : .compact
      config.dedupObservations = dedup ? .on : .off
      let replay = try ReplayBuffer(
        config: config, observationCount: env.observationSpace.flatCount,
        actionSpace: env.actionSpace, discount: 0.99)
      var observation = env.reset(seed: 0)
      for _ in 0..<20_000 {
        let action = env.actionSpace.randomAction(&rng)
        let (next, step) = env.step(action)
        observation.withUnsafeBufferPointer { o in
          next.withUnsafeBufferPointer { n in
            replay.add(
              observation: o, action: action, reward: step.reward, cost: step.cost,
              end: step.end, nextObservation: n)
          }
        }
        observation = step.end.isEnd ? env.reset(seed: nil) : next
      }
      #expect(replay.usage.compressionRatio >= 20, "dedup \(dedup): \(replay.usage)")
    }
  }
}
