/// The columns a replay chunk stores. Observations live in frames: a transition's observation
/// is frame `frameIndex`, its next observation frame `frameIndex + 1`, so the observation that
/// follows one step is stored once, not again as the next step's observation. A chunk holds a
/// frame per transition plus one per episode that starts inside it (at most twice its size).
enum ReplayColumn: Int, CaseIterable, Sendable {
  /// Observation rows (Float × observation count), or ids into the observation table (UInt32).
  case frames
  /// UInt16 per transition: the frame of its observation.
  case frameIndex
  /// Int32 per transition (discrete), or Float × action count (continuous).
  case actions
  case rewards
  case costs
  /// UInt8 per transition: its `EpisodeEnd`.
  case ends
  /// Float per transition: the discounted return to the episode's end (NaN until it ends).
  /// It changes after a chunk is sealed, so a sealed chunk keeps it raw until every episode
  /// it touches has ended, and only then encodes it.
  case returns

  var name: String {
    switch self {
    case .frames: return "frames"
    case .frameIndex: return "frame_index"
    case .actions: return "actions"
    case .rewards: return "rewards"
    case .costs: return "costs"
    case .ends: return "ends"
    case .returns: return "returns"
    }
  }
}

/// One column's bytes in a chunk: raw (readable in place) or encoded by its codec (read through
/// the decoded-chunk cache). Owns its memory, so pointers into it stay valid while it lives.
struct ChunkColumn {
  var storage: UnsafeMutableRawBufferPointer
  /// Bytes in use (the open chunk preallocates its maximum).
  var count: Int
  /// Byte count once decoded.
  var rawCount: Int
  var isEncoded: Bool

  static func allocate(capacity: Int) -> ChunkColumn {
    ChunkColumn(
      storage: .allocate(byteCount: max(capacity, 1), alignment: 16), count: 0, rawCount: 0,
      isEncoded: false)
  }

  static func copy(of bytes: UnsafeRawBufferPointer, rawCount: Int, isEncoded: Bool)
    -> ChunkColumn
  {
    var column = allocate(capacity: bytes.count)
    column.storage.copyMemory(from: bytes)
    column.count = bytes.count
    column.rawCount = rawCount
    column.isEncoded = isEncoded
    return column
  }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<count]) }
}

/// A run of consecutive transitions, `chunkSize` of them once full: transition `t` of the buffer
/// lives in chunk `t / chunkSize`. The newest chunk is open (raw, preallocated); a full chunk is
/// sealed, each column encoded with its own codec.
final class ReplayChunk {
  /// The chunk's number in the buffer's history (its first transition is number × chunkSize).
  var number: Int
  var count = 0
  var frameCount = 0
  var columns: [ChunkColumn]

  init(number: Int, columns: [ChunkColumn]) {
    self.number = number
    self.columns = columns
  }

  deinit {
    for column in columns { column.storage.deallocate() }
  }

  /// Bytes held by the columns (their allocation, not their use).
  var byteCount: Int { columns.reduce(0) { $0 + $1.storage.count } }

  subscript(column: ReplayColumn) -> ChunkColumn {
    get { columns[column.rawValue] }
    set { columns[column.rawValue] = newValue }
  }
}

/// Recently decoded columns of sealed chunks, a few per column kind, replaced oldest first:
/// sampling that returns to the same chunks (sequences, n-step, a small buffer) decodes each
/// once.
final class DecodedChunkCache {
  private struct Entry {
    var chunk = -1
    var storage: UnsafeMutableRawBufferPointer
  }
  private var entries: [[Entry]]
  private var nextVictim: [Int]
  private(set) var hits = 0
  private(set) var misses = 0

  /// `capacities[c]` is the largest raw size of column kind `c`; 0 for a kind that is never
  /// decoded (it gets no entries).
  init(slots: Int, capacities: [Int]) {
    entries = capacities.map { capacity in
      (0..<(capacity == 0 ? 0 : max(slots, 1))).map { _ in
        Entry(storage: .allocate(byteCount: max(capacity, 1), alignment: 16))
      }
    }
    nextVictim = [Int](repeating: 0, count: capacities.count)
  }

  deinit {
    for list in entries { for entry in list { entry.storage.deallocate() } }
  }

  var byteCount: Int { entries.reduce(0) { $0 + $1.reduce(0) { $0 + $1.storage.count } } }

  /// The decoded bytes of `column` of `chunk`, decoding with `coder` on a miss.
  func decoded(
    _ column: ReplayColumn, of chunk: ReplayChunk, coder: ColumnCoder, layout: ColumnLayout
  )
    -> UnsafeRawPointer
  {
    let kind = column.rawValue
    for entry in entries[kind] where entry.chunk == chunk.number {
      hits += 1
      return UnsafeRawPointer(entry.storage.baseAddress!)
    }
    misses += 1
    let victim = nextVictim[kind]
    nextVictim[kind] = (victim + 1) % entries[kind].count
    let stored = chunk[column]
    let target = UnsafeMutableRawBufferPointer(
      rebasing: entries[kind][victim].storage[..<stored.rawCount])
    do {
      try coder.decode(stored.bytes, layout: layout, into: target)
    } catch {
      // Chunks are encoded by this process or validated when loaded: failing here is a bug.
      preconditionFailure("replay chunk \(chunk.number) \(column.name) failed to decode: \(error)")
    }
    entries[kind][victim].chunk = chunk.number
    return UnsafeRawPointer(entries[kind][victim].storage.baseAddress!)
  }

  /// Forgets a chunk (when it is evicted or replaced).
  func forget(chunk number: Int) {
    for kind in entries.indices {
      for i in entries[kind].indices where entries[kind][i].chunk == number {
        entries[kind][i].chunk = -1
      }
    }
  }
}
