import Environments
import Foundation
import Testing

@testable import RankLab

/// The replay buffer's edges: memory that must not creep, Monte-Carlo draws before episodes
/// end, a diverging learner's priorities, and saved state that would mislead the sampler.
@Suite struct ReplayBufferHardeningTests {
  @Test func observationIndexDoesNotGrowWhileRowsComeAndGo() {
    // A thousand live rows at a time out of a hundred thousand distinct ones: the index is
    // sized by the live rows, not by every row ever seen.
    let table = ObservationTable(width: 2)
    var ids: [UInt32] = []
    var sizeAfterWarmUp = 0
    for i in 0..<100_000 {
      ids.append(table.intern([Float(i), 1]))
      if ids.count > 1000 { table.release(ids.removeFirst()) }
      if i == 10_000 { sizeAfterWarmUp = table.byteCount }
    }
    #expect(table.liveCount == 1000)
    #expect(table.byteCount == sizeAfterWarmUp)
    // Still finds what it holds, and forgets what it released.
    let id = table.intern([Float(99_999), 1])
    #expect(id == ids.last && table.liveCount == 1000)
    _ = table.intern([0, 1])
    #expect(table.liveCount == 1001)
  }

  @Test func onlyEncodedColumnsGetDecodeCacheSpace() throws {
    let raw = try ReplayBufferTests.make(capacity: 1000, chunk: 64, width: 8)
    #expect(raw.cache.byteCount == 0)
    var observationsOnly = ReplayCodecs()
    observationsOnly.observations = .zstd(level: 1, filters: [.shuffle])
    let partly = try ReplayBufferTests.make(
      capacity: 1000, chunk: 64, codecs: observationsOnly, width: 8)
    // Two cached chunks of frames: up to 2 × 64 observation rows of 8 floats each.
    #expect(partly.cache.byteCount == 2 * (2 * 64 * 8 * 4))
  }

  @Test func monteCarloDrawsOnlyFinishedEpisodes() throws {
    let replay = try ReplayBufferTests.make(capacity: 2000, chunk: 64, width: 3)
    var steps = (0..<10).map { i in
      ReplayBufferTests.Transition(
        observation: [Float(i), 0, 0], action: .discrete(0), reward: 1, cost: 0,
        end: i == 9 ? .terminated : .none, next: [Float(i + 1), 0, 0])
    }
    #expect(replay.finishedCount == 0)
    ReplayBufferTests.fill(replay, steps)
    steps = (0..<1000).map { i in
      ReplayBufferTests.Transition(
        observation: [Float(i), 1, 0], action: .discrete(1), reward: 1, cost: 0, end: .none,
        next: [Float(i + 1), 1, 0])
    }
    ReplayBufferTests.fill(replay, steps)
    #expect(replay.count == 1010 && replay.finishedCount == 10)
    var batch = replay.makeBatch(size: 256)
    var rng = PCG64(seed: 5)
    for _ in 0..<20 {
      replay.sample(into: &batch, rng: &rng, requireReturns: true)
      #expect(batch.returns.allSatisfy { $0.isFinite })
      #expect(batch.indices.allSatisfy { $0 < 10 })
    }
  }

  @Test func nonFiniteErrorsLeavePrioritiesFinite() throws {
    let replay = try ReplayBufferTests.make(capacity: 500, chunk: 32, width: 3) {
      $0.prioritized.enabled = true
    }
    ReplayBufferTests.fill(replay, ReplayBufferTests.episodes(400, width: 3, seed: 8))
    var batch = replay.makeBatch(size: 8)
    var rng = PCG64(seed: 1)
    replay.sample(into: &batch, rng: &rng)
    let errors: [Float] = [.nan, .infinity, -.infinity, 3, 0, -2, .nan, 1]
    errors.withUnsafeBufferPointer { replay.updatePriorities(of: batch, errors: $0) }
    #expect(replay.priorities!.total.isFinite)
    replay.sample(into: &batch, rng: &rng)
    #expect(batch.weights.allSatisfy { $0.isFinite && $0 > 0 })
  }

  @Test func savedStateTheSamplerCannotTrustIsRejected() throws {
    func make() throws -> ReplayBuffer {
      try ReplayBufferTests.make(capacity: 1000, chunk: 32, width: 3) {
        $0.prioritized.enabled = true
      }
    }
    let replay = try make()
    ReplayBufferTests.fill(replay, ReplayBufferTests.episodes(300, width: 3, seed: 2))
    var archive = CheckpointArchive()
    try replay.save(into: &archive)
    try make().load(from: archive)

    // Priority on a slot that holds no transition: the sampler would read unwritten rows.
    var leaves = try archive.array("replay/priorities", of: Double.self)
    leaves[leaves.count - 1] = 1
    var damaged = archive
    damaged.put("replay/priorities", array: leaves)
    #expect(throws: CheckpointError.self) { try make().load(from: damaged) }

    // A raw column marked as encoded, and an oldest transition off a chunk boundary.
    var state = try archive.json("replay/state", as: ReplayBuffer.State.self)
    state.chunks[0].encoded[ReplayColumn.rewards.rawValue] = true
    damaged = archive
    try damaged.put("replay/state", json: state)
    #expect(throws: CheckpointError.self) { try make().load(from: damaged) }
    state = try archive.json("replay/state", as: ReplayBuffer.State.self)
    state.firstIndex += 1
    damaged = archive
    try damaged.put("replay/state", json: state)
    #expect(throws: CheckpointError.self) { try make().load(from: damaged) }
  }

  @Test(arguments: [false, true])
  func batchesWithoutExtrasMatchFullOnesAndLeaveThemUnfilled(compact: Bool) throws {
    let replay = try ReplayBufferTests.make(
      capacity: 2000, chunk: 64, codecs: compact ? .compact : ReplayCodecs(), width: 4)
    ReplayBufferTests.fill(replay, ReplayBufferTests.episodes(2500, width: 4, seed: 6))
    var full = replay.makeBatch(size: 128)
    var lean = replay.makeBatch(size: 128, extras: [])
    var rngFull = PCG64(seed: 9)
    var rngLean = PCG64(seed: 9)
    replay.sample(into: &full, rng: &rngFull)
    replay.sample(into: &lean, rng: &rngLean)
    #expect(lean.indices == full.indices && lean.actionIndices == full.actionIndices)
    #expect(
      ReplayBufferTests.bits(lean.observations[...])
        == ReplayBufferTests.bits(full.observations[...]))
    #expect(
      ReplayBufferTests.bits(lean.nextObservations[...])
        == ReplayBufferTests.bits(full.nextObservations[...]))
    #expect(
      ReplayBufferTests.bits(lean.rewards[...]) == ReplayBufferTests.bits(full.rewards[...]))
    #expect(lean.terminals == full.terminals && lean.discounts == full.discounts)
    #expect(lean.costs.allSatisfy { $0.isNaN } && lean.returns.allSatisfy { $0.isNaN })
    #expect(full.costs.allSatisfy { $0 == 0 || $0 == 1 })
  }

  @Test func statisticsLeaveOutAnEpisodeWhoseStartWasEvicted() throws {
    // Episodes of 10 steps, reward 1 each; a capacity of 95 evicts into the middle of one.
    let replay = try ReplayBufferTests.make(capacity: 95, chunk: 8, width: 1)
    let steps = (0..<200).map { (i: Int) -> ReplayBufferTests.Transition in
      let position = Float(i % 10)
      return ReplayBufferTests.Transition(
        observation: [position], action: .discrete(0), reward: 1, cost: 0,
        end: i % 10 == 9 ? .terminated : .none, next: [position + 1])
    }
    ReplayBufferTests.fill(replay, steps)
    #expect(replay.firstIndex % 10 != 0)
    let stats = replay.statistics()
    #expect(stats.meanReturn == 10)
    #expect(stats.episodes == (200 - replay.firstIndex) / 10)
  }
}
