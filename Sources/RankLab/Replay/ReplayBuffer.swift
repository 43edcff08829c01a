import Environments
import Foundation

/// Transitions in chunks of columns. The newest chunk is open: raw, preallocated, written in
/// place. A full chunk is sealed, each column encoded with its codec from `ReplayConfig.codecs`
/// (`none` keeps it raw, so sampling reads it in place; a zstd chain makes it small, and
/// sampling decodes it through a cache of recent chunks). When the buffer is full, or over its
/// memory cap, the oldest chunk is evicted whole.
///
/// Observations are stored as frames, so a step's next observation is the following step's
/// observation and is stored once; with deduplication a frame is the id of a distinct row in an
/// `ObservationTable`. Monte-Carlo returns (filled in when an episode ends) and priorities live
/// outside the chunks because they change after a chunk is sealed.
///
/// Transitions are numbered in insertion order; transition `t` is in chunk `t / chunkSize`.
public final class ReplayBuffer {
  public static let maxChunkSize = 32_768

  public let capacity: Int
  public let chunkSize: Int
  public let observationCount: Int
  public let actionSpace: Space
  public let actionWidth: Int
  public let actionsAreContinuous: Bool
  /// Discount of the Monte-Carlo returns column and of n-step returns.
  public let returnDiscount: Float
  public let nStep: Int
  public let deduplicatesObservations: Bool
  public let config: ReplayConfig
  /// Prioritized sampling's exponents, when it is on; `beta` is annealed by the training loop.
  public let prioritized: PrioritizedConfig?
  public var beta: Double

  /// Numbers of the oldest stored transition and of the next one to be added.
  public internal(set) var firstIndex = 0
  public internal(set) var nextIndex = 0
  public var count: Int { nextIndex - firstIndex }
  /// Stored transitions whose episode has ended (and so whose return is known): all but the
  /// running episode's.
  public var finishedCount: Int {
    max(0, nextIndex - (previousEnded ? 0 : episodeRewards.count) - firstIndex)
  }

  /// Sealed chunks by `number % chunkSlots`; the open chunk is kept apart.
  var sealed: [ReplayChunk?]
  var open: ReplayChunk
  let chunkSlots: Int
  let table: ObservationTable?
  /// Sealed chunks below this number have final returns (encoded if their codec says so).
  var finalReturnsChunk = 0
  /// Rewards of the running episode, to fill its returns when it ends.
  var episodeRewards: [Float] = []
  var previousEnded = true
  var priorities: SumTree?
  var maxPriority = 1.0
  /// Prioritized sampling's per-row scratch (masses drawn, leaves found), reused.
  var drawnMasses: [Double] = []
  var drawnLeaves: [Int] = []

  let layouts: [ColumnLayout]
  let coders: [ColumnCoder]
  let cache: DecodedChunkCache
  private var encodeScratch: [UInt8] = []
  /// Bytes of the sealed chunks' columns.
  var sealedBytes = 0
  private let memoryLimit: Int?

  /// Sampling time since `takeSampleTime()` was last called.
  var sampleNanoseconds: UInt64 = 0
  var sampledBatches = 0

  /// Every column of every chunk is raw (all codecs `none`): sampling reads them in place.
  let readsInPlace: Bool
  /// Raw column addresses by `slot * columns + column`, for the chunk in each ring slot (the
  /// open chunk included): the in-place sampler's one lookup per column.
  var base: [UnsafeRawPointer?]

  /// Frame bytes: one observation row, or one 32-bit id.
  let frameBytes: Int
  let actionBytes: Int

  public init(
    config: ReplayConfig, observationCount: Int, actionSpace: Space, discount: Float,
    observationsRepeat: Bool = false
  ) throws {
    precondition(config.capacity > 0, "replay capacity must be positive")
    self.config = config
    capacity = config.capacity
    // Eviction frees a whole chunk: keep a chunk to at most an eighth of a small buffer.
    chunkSize = min(config.chunkSize, Self.maxChunkSize, max(1, config.capacity / 8))
    chunkSlots = (capacity + chunkSize - 1) / chunkSize
    self.observationCount = observationCount
    self.actionSpace = actionSpace
    returnDiscount = discount
    nStep = config.nStep
    switch config.dedupObservations {
    case .auto: deduplicatesObservations = observationsRepeat
    case .on: deduplicatesObservations = true
    case .off: deduplicatesObservations = false
    }
    switch actionSpace {
    case .discrete:
      actionsAreContinuous = false
      actionWidth = 1
    case .box(let low, _):
      actionsAreContinuous = true
      actionWidth = low.count
    }
    prioritized = config.prioritized.enabled ? config.prioritized : nil
    beta = config.prioritized.beta
    memoryLimit = config.memoryLimitMB > 0 ? Int(config.memoryLimitMB * 1_048_576) : nil

    let dedup = deduplicatesObservations
    let continuous = actionsAreContinuous
    let actionWidth = actionWidth
    frameBytes = dedup ? 4 : 4 * observationCount
    actionBytes = 4 * actionWidth
    table = dedup ? ObservationTable(width: observationCount) : nil
    layouts = ReplayColumn.allCases.map { column in
      switch column {
      case .frames:
        return dedup
          ? .of(UInt32.self) : .of(Float.self, rowWidth: observationCount)
      case .frameIndex: return .of(UInt16.self)
      case .actions:
        return continuous ? .of(Float.self, rowWidth: actionWidth) : .of(Int32.self)
      case .rewards, .costs, .returns: return .of(Float.self)
      case .ends: return .of(UInt8.self)
      }
    }
    let codecs = config.codecs
    coders = try ReplayColumn.allCases.map { column in
      switch column {
      case .frames: return try ColumnCoder(codecs.observations)
      case .frameIndex: return try ColumnCoder(codecs.frameIndex)
      case .actions: return try ColumnCoder(codecs.actions)
      case .rewards: return try ColumnCoder(codecs.rewards)
      case .costs: return try ColumnCoder(codecs.costs)
      case .ends: return try ColumnCoder(codecs.ends)
      case .returns: return try ColumnCoder(codecs.returns)
      }
    }
    let chunk = chunkSize
    let frameCapacity = 2 * chunk * frameBytes
    let actionBytes = self.actionBytes
    let capacities = ReplayColumn.allCases.map { column in
      switch column {
      case .frames: return frameCapacity
      case .frameIndex: return 2 * chunk
      case .actions: return actionBytes * chunk
      case .rewards, .costs, .returns: return 4 * chunk
      case .ends: return chunk
      }
    }
    open = ReplayChunk(number: 0, columns: capacities.map(ChunkColumn.allocate(capacity:)))
    readsInPlace = coders.allSatisfy { $0.codec == .none }
    base = [UnsafeRawPointer?](repeating: nil, count: chunkSlots * ReplayColumn.allCases.count)
    sealed = [ReplayChunk?](repeating: nil, count: chunkSlots)
    // Raw columns are read in place: cache space only for the columns that get encoded.
    cache = DecodedChunkCache(
      slots: config.cacheChunks,
      capacities: zip(capacities, coders).map { $1.codec == .none ? 0 : $0 })
    if prioritized != nil { priorities = SumTree(count: chunkSlots * chunkSize) }
    episodeRewards.reserveCapacity(1024)
    register(open)
  }

  /// A buffer with default storage (raw columns, no deduplication).
  public convenience init(
    capacity: Int, observationCount: Int, actionSpace: Space, returnDiscount: Float = 0.99
  ) {
    var config = ReplayConfig()
    config.capacity = capacity
    config.dedupObservations = .off
    // Raw columns cannot fail to build a coder.
    try! self.init(
      config: config, observationCount: observationCount, actionSpace: actionSpace,
      discount: returnDiscount)
  }

  /// A batch sized for this buffer's transitions, with the `extras` its reader needs.
  public func makeBatch(size: Int, extras: TransitionBatch.Extras = .all) -> TransitionBatch {
    TransitionBatch(
      capacity: size, observationCount: observationCount, actionWidth: actionWidth,
      continuous: actionsAreContinuous, extras: extras)
  }

  /// Slots of the returns ring and the priority tree.
  var ringCount: Int { chunkSlots * chunkSize }

  // MARK: Adding

  /// Stores one transition; `end` closes the running episode and fills its returns.
  public func add(
    observation: UnsafeBufferPointer<Float>, action: Action, reward: Double, cost: Double,
    end: EpisodeEnd, nextObservation: UnsafeBufferPointer<Float>
  ) {
    precondition(
      observation.count == observationCount && nextObservation.count == observationCount,
      "observations must have \(observationCount) floats")
    if count == capacity { evictOldest() }
    if open.count == chunkSize { seal() }
    let j = open.count
    // The observation is usually the frame the previous step left as its next observation.
    if j == 0 || previousEnded || !lastFrameEquals(observation) { pushFrame(observation) }
    let frame = open.frameCount - 1
    pushFrame(nextObservation)
    open.columns[ReplayColumn.frameIndex.rawValue].storage.storeBytes(
      of: UInt16(frame), toByteOffset: 2 * j, as: UInt16.self)
    let actions = open[.actions].storage
    switch action {
    case .discrete(let index):
      actions.storeBytes(of: Int32(index), toByteOffset: 4 * j, as: Int32.self)
    case .continuous(let values):
      for i in 0..<actionWidth {
        actions.storeBytes(of: values[i], toByteOffset: actionBytes * j + 4 * i, as: Float.self)
      }
    }
    open[.rewards].storage.storeBytes(of: Float(reward), toByteOffset: 4 * j, as: Float.self)
    open[.costs].storage.storeBytes(of: Float(cost), toByteOffset: 4 * j, as: Float.self)
    open[.ends].storage.storeBytes(of: end.rawValue, toByteOffset: j, as: UInt8.self)
    open[.returns].storage.storeBytes(of: Float.nan, toByteOffset: 4 * j, as: Float.self)
    open.count += 1
    let t = nextIndex
    nextIndex += 1
    episodeRewards.append(Float(reward))
    if prioritized != nil { priorities?.set(t % ringCount, maxPriority) }
    previousEnded = end.isEnd
    if end.isEnd { closeEpisode() }
    if let memoryLimit {
      while memoryBytes > memoryLimit && firstIndex / chunkSize < open.number { evictOldest() }
    }
  }

  /// Walks the finished episode backwards, writing discounted returns-to-go.
  private func closeEpisode() {
    var running: Float = 0
    var t = nextIndex - 1
    for reward in episodeRewards.reversed() {
      running = reward + returnDiscount * running
      if t >= firstIndex {
        let (chunk, j) = locate(t)
        chunk[.returns].storage.storeBytes(of: running, toByteOffset: 4 * j, as: Float.self)
      }
      t -= 1
    }
    episodeRewards.removeAll(keepingCapacity: true)
    finalizeReturns()
  }

  /// Encodes the returns of sealed chunks whose episodes have all ended: every transition
  /// before the running episode's first one.
  private func finalizeReturns() {
    let finalThrough = firstIndex + finishedCount
    finalReturnsChunk = max(finalReturnsChunk, firstIndex / chunkSize)
    while finalReturnsChunk < open.number && (finalReturnsChunk + 1) * chunkSize <= finalThrough {
      let chunk = self.chunk(number: finalReturnsChunk)
      finalReturnsChunk += 1
      let coder = coders[ReplayColumn.returns.rawValue]
      guard coder.codec != .none else { continue }
      let raw = chunk[.returns]
      encodeScratch.removeAll(keepingCapacity: true)
      do {
        try coder.encode(
          raw.bytes, layout: layouts[ReplayColumn.returns.rawValue], appendingTo: &encodeScratch)
      } catch {
        preconditionFailure("replay returns failed to encode: \(error)")
      }
      let encoded = encodeScratch.withUnsafeBytes {
        ChunkColumn.copy(of: $0, rawCount: raw.count, isEncoded: true)
      }
      sealedBytes += encoded.storage.count - raw.storage.count
      raw.storage.deallocate()
      chunk[.returns] = encoded
      cache.forget(chunk: chunk.number)
      register(chunk)
    }
  }

  private func pushFrame(_ row: UnsafeBufferPointer<Float>) {
    let offset = open.frameCount * frameBytes
    let frames = open[.frames].storage
    if let table {
      let id = table.intern(row.baseAddress!)
      frames.storeBytes(of: id, toByteOffset: offset, as: UInt32.self)
    } else {
      (frames.baseAddress! + offset).copyMemory(from: row.baseAddress!, byteCount: frameBytes)
    }
    open.frameCount += 1
  }

  private func lastFrameEquals(_ row: UnsafeBufferPointer<Float>) -> Bool {
    let offset = (open.frameCount - 1) * frameBytes
    let frames = UnsafeRawPointer(open[.frames].storage.baseAddress!)
    let stored: UnsafeRawPointer
    if let table {
      stored = UnsafeRawPointer(
        table.row(frames.load(fromByteOffset: offset, as: UInt32.self)))
    } else {
      stored = frames + offset
    }
    return memcmp(stored, row.baseAddress!, 4 * observationCount) == 0
  }

  /// Encodes the full open chunk into a sealed one and reopens the open chunk for the next.
  private func seal() {
    let chunk = ReplayChunk(number: open.number, columns: [])
    chunk.count = open.count
    chunk.frameCount = open.frameCount
    for column in ReplayColumn.allCases {
      let raw = UnsafeRawBufferPointer(
        rebasing: open[column].storage[..<usedBytes(column, in: open)])
      let coder = coders[column.rawValue]
      // Returns stay raw until final (see finalizeReturns).
      if coder.codec == .none || column == .returns {
        chunk.columns.append(.copy(of: raw, rawCount: raw.count, isEncoded: false))
        continue
      }
      encodeScratch.removeAll(keepingCapacity: true)
      do {
        try coder.encode(raw, layout: layouts[column.rawValue], appendingTo: &encodeScratch)
      } catch {
        // The layouts are the buffer's own and the codecs were validated when it was built.
        preconditionFailure("replay \(column.name) failed to encode: \(error)")
      }
      chunk.columns.append(
        encodeScratch.withUnsafeBytes { .copy(of: $0, rawCount: raw.count, isEncoded: true) })
    }
    sealed[chunk.number % chunkSlots] = chunk
    sealedBytes += chunk.byteCount
    cache.forget(chunk: chunk.number)
    register(chunk)
    open.number += 1
    open.count = 0
    open.frameCount = 0
    register(open)
    finalizeReturns()
  }

  /// Records the raw column addresses of the chunk now in its ring slot.
  func register(_ chunk: ReplayChunk) {
    let columns = ReplayColumn.allCases.count
    let slot = chunk.number % chunkSlots
    for c in 0..<columns {
      let column = chunk.columns[c]
      base[slot * columns + c] =
        column.isEncoded ? nil : UnsafeRawPointer(column.storage.baseAddress!)
    }
  }

  /// Drops the oldest chunk: its observation rows lose a user and its priorities go to zero.
  private func evictOldest() {
    let number = firstIndex / chunkSize
    let chunk = self.chunk(number: number)
    if let table {
      let frames = pointer(.frames, of: chunk)
      for f in 0..<chunk.frameCount {
        table.release(frames.load(fromByteOffset: 4 * f, as: UInt32.self))
      }
    }
    let end = number * chunkSize + chunk.count
    if priorities != nil {
      for t in firstIndex..<end { priorities?.set(t % ringCount, 0) }
    }
    cache.forget(chunk: number)
    if chunk === open {
      open.number += 1
      open.count = 0
      open.frameCount = 0
      register(open)
    } else {
      sealedBytes -= chunk.byteCount
      sealed[number % chunkSlots] = nil
    }
    firstIndex = end
    // Returns-to-go of stored transitions need only rewards from the oldest stored one on.
    if episodeRewards.count > count { episodeRewards.removeFirst(episodeRewards.count - count) }
  }

  func usedBytes(_ column: ReplayColumn, in chunk: ReplayChunk) -> Int {
    switch column {
    case .frames: return chunk.frameCount * frameBytes
    case .frameIndex: return 2 * chunk.count
    case .actions: return actionBytes * chunk.count
    case .rewards, .costs, .returns: return 4 * chunk.count
    case .ends: return chunk.count
    }
  }

  // MARK: Reading

  @inline(__always) func chunk(number: Int) -> ReplayChunk {
    if number == open.number { return open }
    guard let chunk = sealed[number % chunkSlots], chunk.number == number else {
      preconditionFailure("replay chunk \(number) is not stored")
    }
    return chunk
  }

  /// The raw bytes of `column` of `chunk`: in place, or decoded through the cache.
  @inline(__always) func pointer(_ column: ReplayColumn, of chunk: ReplayChunk) -> UnsafeRawPointer
  {
    let stored = chunk.columns[column.rawValue]
    if !stored.isEncoded { return UnsafeRawPointer(stored.storage.baseAddress!) }
    return cache.decoded(
      column, of: chunk, coder: coders[column.rawValue], layout: layouts[column.rawValue])
  }

  /// Where transition `t` is: its chunk and its position there.
  @inline(__always) func locate(_ t: Int) -> (chunk: ReplayChunk, position: Int) {
    let number = t / chunkSize
    return (chunk(number: number), t - number * chunkSize)
  }

  @inline(__always) func end(of t: Int) -> EpisodeEnd {
    let (chunk, j) = locate(t)
    let raw = pointer(.ends, of: chunk).load(fromByteOffset: j, as: UInt8.self)
    return EpisodeEnd(rawValue: raw) ?? .none
  }

  @inline(__always) func reward(of t: Int) -> Float {
    let (chunk, j) = locate(t)
    return pointer(.rewards, of: chunk).load(fromByteOffset: 4 * j, as: Float.self)
  }

  /// Copies frame `frame` of `chunk` (an observation row) to `destination`.
  @inline(__always) func copyFrame(
    _ frame: Int, of chunk: ReplayChunk, frames: UnsafeRawPointer,
    to destination: UnsafeMutablePointer<Float>
  ) {
    if let table {
      let id = frames.load(fromByteOffset: 4 * frame, as: UInt32.self)
      destination.update(from: table.row(id), count: observationCount)
    } else {
      UnsafeMutableRawPointer(destination).copyMemory(
        from: frames + frame * frameBytes, byteCount: frameBytes)
    }
  }

  // MARK: Memory

  /// Bytes a plain buffer (observation and next observation rows, action, reward, cost,
  /// terminal flag, end, return) needs per transition: what compression is measured against.
  public var plainBytesPerTransition: Int { 8 * observationCount + actionBytes + 17 }

  /// Bytes holding the stored transitions: sealed columns, the open chunk's used part, live
  /// observation rows (and priorities when prioritized).
  public var storedBytes: Int {
    var bytes = sealedBytes
    for column in ReplayColumn.allCases { bytes += usedBytes(column, in: open) }
    if let table { bytes += table.liveCount * 4 * (observationCount + 1) }
    if priorities != nil { bytes += 8 * count }
    return bytes
  }

  /// Every byte the buffer holds, spare capacity, cache and indexes included (the memory cap
  /// applies to this).
  public var memoryBytes: Int {
    sealedBytes + open.byteCount + (table?.byteCount ?? 0)
      + cache.byteCount + (priorities.map { 16 * $0.leafCount } ?? 0)
      + episodeRewards.count * 4
  }
}
