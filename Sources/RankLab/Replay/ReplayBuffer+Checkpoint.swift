import Environments

extension ReplayBuffer {
  /// What a saved buffer was built with: a buffer restores only into one built the same way.
  struct Layout: Codable, Equatable {
    var config: ReplayConfig
    var chunkSize: Int
    var observationCount: Int
    var actionSpace: Space
    var discount: Float
    var deduplicatesObservations: Bool
  }

  /// One saved chunk: its counts and, per column, stored and decoded byte counts.
  struct ChunkRecord: Codable {
    var number: Int
    var count: Int
    var frameCount: Int
    var bytes: [Int]
    var rawBytes: [Int]
    var encoded: [Bool]
  }

  struct State: Codable {
    var firstIndex: Int
    var nextIndex: Int
    var previousEnded: Bool
    var maxPriority: Double
    var beta: Double
    var finalReturnsChunk: Int
    /// Sealed chunks oldest first, then the open chunk.
    var chunks: [ChunkRecord]
  }

  var layout: Layout {
    Layout(
      config: config, chunkSize: chunkSize, observationCount: observationCount,
      actionSpace: actionSpace, discount: returnDiscount,
      deduplicatesObservations: deduplicatesObservations)
  }

  /// Writes the chunks as they are stored (sealed chunks stay encoded), the observation table,
  /// returns, priorities and counters: a restored buffer holds the same bytes and samples
  /// exactly as this one would.
  public func save(into archive: inout CheckpointArchive) throws {
    var records: [ChunkRecord] = []
    var blob: [UInt8] = []
    let liveChunks = stride(from: firstIndex / chunkSize, to: open.number, by: 1).map {
      chunk(number: $0)
    }
    for chunk in liveChunks + [open] {
      var record = ChunkRecord(
        number: chunk.number, count: chunk.count, frameCount: chunk.frameCount, bytes: [],
        rawBytes: [], encoded: [])
      for column in ReplayColumn.allCases {
        let stored = chunk[column]
        let bytes =
          chunk === open
          ? UnsafeRawBufferPointer(rebasing: stored.storage[..<usedBytes(column, in: chunk)])
          : stored.bytes
        blob.append(contentsOf: bytes)
        record.bytes.append(bytes.count)
        record.rawBytes.append(chunk === open ? bytes.count : stored.rawCount)
        record.encoded.append(stored.isEncoded)
      }
      records.append(record)
    }
    try archive.put("replay/layout", json: layout)
    try archive.put(
      "replay/state",
      json: State(
        firstIndex: firstIndex, nextIndex: nextIndex, previousEnded: previousEnded,
        maxPriority: maxPriority, beta: beta, finalReturnsChunk: finalReturnsChunk,
        chunks: records))
    archive.put("replay/chunks", bytes: blob)
    archive.put("replay/episode_rewards", array: episodeRewards)
    if let priorities { archive.put("replay/priorities", array: Array(priorities.leaves)) }
    table?.save(into: &archive, prefix: "replay/observation_table")
  }

  /// Builds the buffer a dataset or checkpoint holds, with the layout it was saved with.
  public static func read(from archive: CheckpointArchive) throws -> ReplayBuffer {
    let layout = try archive.json("replay/layout", as: Layout.self)
    let buffer = try ReplayBuffer(
      config: layout.config, observationCount: layout.observationCount,
      actionSpace: layout.actionSpace, discount: layout.discount,
      observationsRepeat: layout.deduplicatesObservations)
    try buffer.load(from: archive)
    return buffer
  }

  /// Restores a saved buffer into this one, which must be built with the same layout. Every
  /// chunk is decoded and checked, so a damaged file fails here, not in the middle of training.
  /// A buffer whose load failed is left part-restored: discard it.
  public func load(from archive: CheckpointArchive) throws {
    let saved = try archive.json("replay/layout", as: Layout.self)
    guard saved == layout else {
      throw CheckpointError.invalid(
        "the replay buffer was saved with different settings (\(saved.config) vs \(config))")
    }
    let state = try archive.json("replay/state", as: State.self)
    let blob = try archive.bytes("replay/chunks")
    let episodeRewards = try archive.array("replay/episode_rewards", of: Float.self)
    func fail(_ what: String) -> CheckpointError { .invalid("replay: \(what)") }

    // Chunks must be consecutive, end with the open one, and cover firstIndex..<nextIndex.
    guard let openRecord = state.chunks.last, state.firstIndex >= 0,
      state.nextIndex >= state.firstIndex, state.nextIndex - state.firstIndex <= capacity,
      state.firstIndex % chunkSize == 0,
      state.finalReturnsChunk >= 0, state.finalReturnsChunk <= openRecord.number,
      state.chunks.first?.number == state.firstIndex / chunkSize,
      openRecord.number * chunkSize + openRecord.count == state.nextIndex,
      state.chunks.enumerated().allSatisfy({ $1.number == state.chunks[0].number + $0 })
    else { throw fail("chunk numbers do not match the stored transitions") }

    if let table { try table.load(from: archive, prefix: "replay/observation_table") }
    var offset = 0
    var chunks: [ReplayChunk] = []
    for record in state.chunks {
      let isOpen = record.number == openRecord.number
      guard record.bytes.count == ReplayColumn.allCases.count,
        record.rawBytes.count == record.bytes.count, record.encoded.count == record.bytes.count,
        record.count >= 0, record.count <= chunkSize,
        isOpen || record.count == chunkSize,
        record.frameCount >= 0, record.frameCount <= 2 * chunkSize,
        record.bytes.allSatisfy({ $0 >= 0 }), offset + record.bytes.reduce(0, +) <= blob.count
      else { throw fail("chunk \(record.number) has an impossible shape") }
      let chunk = isOpen ? open : ReplayChunk(number: record.number, columns: [])
      chunk.number = record.number
      chunk.count = record.count
      chunk.frameCount = record.frameCount
      for column in ReplayColumn.allCases {
        let k = column.rawValue
        let expected = usedBytes(column, in: chunk)
        // Returns are encoded only once final; raw columns never are.
        let mayBeEncoded =
          !isOpen && coders[k].codec != .none
          && (column != .returns || record.number < state.finalReturnsChunk)
        guard record.rawBytes[k] == expected, mayBeEncoded || !record.encoded[k],
          record.encoded[k] || record.bytes[k] == expected
        else { throw fail("chunk \(record.number) \(column.name) has the wrong size") }
        let bytes = blob.withUnsafeBytes {
          UnsafeRawBufferPointer(rebasing: $0[offset..<offset + record.bytes[k]])
        }
        if isOpen {
          open[column].storage.copyMemory(from: bytes)
        } else {
          chunk.columns.append(
            .copy(of: bytes, rawCount: expected, isEncoded: record.encoded[k]))
        }
        offset += record.bytes[k]
      }
      chunks.append(chunk)
    }
    guard offset == blob.count else { throw fail("\(blob.count - offset) stray chunk bytes") }

    for slot in sealed.indices { sealed[slot] = nil }
    sealedBytes = 0
    for chunk in chunks where chunk !== open {
      sealed[chunk.number % chunkSlots] = chunk
      sealedBytes += chunk.byteCount
      cache.forget(chunk: chunk.number)
      register(chunk)
    }
    register(open)
    firstIndex = state.firstIndex
    nextIndex = state.nextIndex
    finalReturnsChunk = state.finalReturnsChunk
    self.episodeRewards = episodeRewards
    previousEnded = state.previousEnded
    maxPriority = state.maxPriority
    beta = state.beta
    if prioritized != nil {
      let leaves = try archive.array("replay/priorities", of: Double.self)
      guard leaves.count == priorities?.leafCount,
        leaves.allSatisfy({ $0 >= 0 && $0.isFinite }),
        // Only stored transitions may carry priority: the sampler must never land elsewhere.
        leaves.indices.allSatisfy({ leaves[$0] == 0 || isStored(leaf: $0) })
      else { throw fail("priorities do not fit the buffer") }
      priorities = SumTree(leaves: leaves)
    }
    var references = [Int32](repeating: 0, count: table?.users.count ?? 0)
    for chunk in chunks { try check(chunk, references: &references, fail: fail) }
    // (The table checked its own free list and index when it loaded.)
    if let table, references != table.users {
      throw fail("the observation table's use counts disagree with the chunks")
    }
  }

  /// Decodes every column of `chunk` and checks the values sampling relies on: frame numbers,
  /// observation ids, discrete actions and episode ends.
  private func check(
    _ chunk: ReplayChunk, references: inout [Int32], fail: (String) -> CheckpointError
  ) throws {
    var decoded: [[UInt8]] = []
    for column in ReplayColumn.allCases {
      let stored = chunk[column]
      let size = usedBytes(column, in: chunk)
      if !stored.isEncoded || chunk === open {
        decoded.append(
          Array(UnsafeRawBufferPointer(rebasing: stored.storage[..<size])))
        continue
      }
      var raw = [UInt8](repeating: 0, count: size)
      do {
        try raw.withUnsafeMutableBytes {
          try coders[column.rawValue].decode(
            stored.bytes, layout: layouts[column.rawValue], into: $0)
        }
      } catch {
        throw fail("chunk \(chunk.number) \(column.name) does not decode: \(error)")
      }
      decoded.append(raw)
    }
    let frameIndex = decoded[ReplayColumn.frameIndex.rawValue]
    for j in 0..<chunk.count {
      let frame = Int(UInt16(frameIndex[2 * j]) | UInt16(frameIndex[2 * j + 1]) << 8)
      guard frame + 1 < chunk.frameCount else {
        throw fail("chunk \(chunk.number) transition \(j) points past its frames")
      }
    }
    if let table {
      try decoded[ReplayColumn.frames.rawValue].withUnsafeBytes { frames in
        for f in 0..<chunk.frameCount {
          let id = frames.load(fromByteOffset: 4 * f, as: UInt32.self)
          guard table.isLive(id) else {
            throw fail("chunk \(chunk.number) frame \(f) names a missing observation")
          }
          references[Int(id)] += 1
        }
      }
    }
    if case .discrete(let choices) = actionSpace {
      try decoded[ReplayColumn.actions.rawValue].withUnsafeBytes { actions in
        for j in 0..<chunk.count {
          let action = actions.load(fromByteOffset: 4 * j, as: Int32.self)
          guard action >= 0 && Int(action) < choices else {
            throw fail("chunk \(chunk.number) transition \(j) has action \(action)")
          }
        }
      }
    }
    for (j, raw) in decoded[ReplayColumn.ends.rawValue].enumerated()
    where EpisodeEnd(rawValue: raw) == nil {
      throw fail("chunk \(chunk.number) transition \(j) has episode end \(raw)")
    }
  }

  /// Stored transitions in insertion order, for statistics and exports.
  func forEachStored(_ body: (_ t: Int) -> Void) {
    for t in firstIndex..<nextIndex { body(t) }
  }
}

extension ReplayBuffer {
  /// Summary figures of the stored transitions (for `ranklab dataset info`).
  public struct Statistics: Sendable {
    public var episodes: Int
    public var terminations: Int
    public var meanReward: Double
    public var meanReturn: Double
    public var totalCost: Double
  }

  /// Figures over the stored transitions in insertion order; `episodes` and `meanReturn` count
  /// whole finished episodes only (after an eviction the oldest stored steps may be the tail of
  /// an episode whose start is gone: that one is left out).
  public func statistics() -> Statistics {
    var stats = Statistics(
      episodes: 0, terminations: 0, meanReward: .nan, meanReturn: .nan, totalCost: 0)
    guard count > 0 else { return stats }
    var rewardSum = 0.0
    var episodeReturn = 0.0
    var returnSum = 0.0
    var wholeEpisode = firstIndex == 0
    forEachStored { t in
      let (chunk, j) = locate(t)
      let reward = Double(pointer(.rewards, of: chunk).load(fromByteOffset: 4 * j, as: Float.self))
      rewardSum += reward
      episodeReturn += reward
      stats.totalCost += Double(
        pointer(.costs, of: chunk).load(fromByteOffset: 4 * j, as: Float.self))
      let end = end(of: t)
      if end == .terminated { stats.terminations += 1 }
      if end.isEnd {
        if wholeEpisode {
          stats.episodes += 1
          returnSum += episodeReturn
        }
        wholeEpisode = true
        episodeReturn = 0
      }
    }
    stats.meanReward = rewardSum / Double(count)
    if stats.episodes > 0 { stats.meanReturn = returnSum / Double(stats.episodes) }
    return stats
  }

  /// Memory and compression figures, logged as `replay/*` during training.
  public struct Usage: Sendable {
    /// Transitions stored.
    public var transitions: Int
    /// Bytes holding them (see `storedBytes`).
    public var bytes: Int
    /// Bytes a plain buffer would need for them.
    public var rawBytes: Int
    /// Every byte the buffer holds (cache, spare capacity and indexes included).
    public var memoryBytes: Int
    /// Distinct observation rows, when observations are deduplicated.
    public var distinctObservations: Int?

    public var compressionRatio: Double { bytes > 0 ? Double(rawBytes) / Double(bytes) : 1 }
  }

  public var usage: Usage {
    Usage(
      transitions: count, bytes: storedBytes, rawBytes: count * plainBytesPerTransition,
      memoryBytes: memoryBytes, distinctObservations: table?.liveCount)
  }
}
