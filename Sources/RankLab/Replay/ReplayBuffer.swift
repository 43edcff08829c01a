import Environments

/// A ring buffer of transitions in preallocated columns; when full the oldest transition is
/// overwritten. Episode returns are filled in when an episode ends, for Monte-Carlo targets.
public final class ReplayBuffer {
  public let capacity: Int
  public let observationCount: Int
  public let actionCount: Int
  public let continuousActions: Bool
  /// Discount used for the Monte-Carlo returns column.
  public let returnDiscount: Float

  /// Transitions currently stored.
  public internal(set) var count = 0
  /// Slot the next transition goes to.
  public internal(set) var head = 0
  /// Slot where the running episode started.
  var episodeLength = 0

  var observations: [Float]
  var nextObservations: [Float]
  var actionIndices: [Int32]
  var actionValues: [Float]
  var rewards: [Float]
  var costs: [Float]
  var terminals: [Float]
  /// How each transition's step ended (`EpisodeEnd` raw values), for episode boundaries.
  var ends: [UInt8]
  var returns: [Float]

  public init(
    capacity: Int, observationCount: Int, actionSpace: Space, returnDiscount: Float = 0.99
  ) {
    precondition(capacity > 0, "replay capacity must be positive")
    self.capacity = capacity
    self.observationCount = observationCount
    self.returnDiscount = returnDiscount
    switch actionSpace {
    case .discrete:
      continuousActions = false
      actionCount = 1
    case .box(let low, _):
      continuousActions = true
      actionCount = low.count
    }
    observations = [Float](repeating: 0, count: capacity * observationCount)
    nextObservations = observations
    actionIndices = [Int32](repeating: 0, count: continuousActions ? 0 : capacity)
    actionValues = [Float](repeating: 0, count: continuousActions ? capacity * actionCount : 0)
    rewards = [Float](repeating: 0, count: capacity)
    costs = rewards
    terminals = rewards
    ends = [UInt8](repeating: 0, count: capacity)
    returns = [Float](repeating: .nan, count: capacity)
  }

  /// A batch sized for this buffer's transitions.
  public func makeBatch(size: Int) -> TransitionBatch {
    TransitionBatch(
      capacity: size, observationCount: observationCount, actionCount: actionCount,
      continuous: continuousActions)
  }

  /// Stores one transition; `end` closes the running episode and fills its returns.
  public func add(
    observation: UnsafeBufferPointer<Float>, action: Action, reward: Double, cost: Double,
    end: EpisodeEnd, nextObservation: UnsafeBufferPointer<Float>
  ) {
    let slot = head
    let row = slot * observationCount
    for i in 0..<observationCount {
      observations[row + i] = observation[i]
      nextObservations[row + i] = nextObservation[i]
    }
    switch action {
    case .discrete(let index): actionIndices[slot] = Int32(index)
    case .continuous(let values):
      for i in 0..<actionCount { actionValues[slot * actionCount + i] = values[i] }
    }
    rewards[slot] = Float(reward)
    costs[slot] = Float(cost)
    terminals[slot] = end == .terminated ? 1 : 0
    ends[slot] = end.rawValue
    returns[slot] = .nan
    head = (head + 1) % capacity
    count = min(count + 1, capacity)
    episodeLength = min(episodeLength + 1, capacity)
    if end.isEnd { closeEpisode() }
  }

  /// Walks the finished episode backwards, writing discounted returns-to-go.
  private func closeEpisode() {
    var running: Float = 0
    var slot = (head - 1 + capacity) % capacity
    for _ in 0..<episodeLength {
      running = rewards[slot] + returnDiscount * running
      returns[slot] = running
      slot = (slot - 1 + capacity) % capacity
    }
    episodeLength = 0
  }

  /// Fills `batch` with `batch.capacity` transitions drawn uniformly with replacement.
  /// With `requireReturns`, only transitions whose episode has finished are drawn.
  public func sample(
    into batch: inout TransitionBatch, rng: inout PCG64, requireReturns: Bool = false
  ) {
    precondition(count > 0, "cannot sample an empty replay buffer")
    for row in 0..<batch.capacity {
      var slot = rng.nextInt(below: count)
      if requireReturns {
        var tries = 0
        while returns[slot].isNaN && tries < 64 {
          slot = rng.nextInt(below: count)
          tries += 1
        }
      }
      copy(slot: slot, into: &batch, row: row)
    }
    batch.count = batch.capacity
  }

  /// Copies the given slots into `batch` in order (probe batches, datasets).
  public func gather(slots: [Int], into batch: inout TransitionBatch) {
    precondition(slots.count <= batch.capacity, "more slots than the batch holds")
    for (row, slot) in slots.enumerated() { copy(slot: slot, into: &batch, row: row) }
    batch.count = slots.count
  }

  @inline(__always) private func copy(slot: Int, into batch: inout TransitionBatch, row: Int) {
    let n = observationCount
    for i in 0..<n {
      batch.observations[row * n + i] = observations[slot * n + i]
      batch.nextObservations[row * n + i] = nextObservations[slot * n + i]
    }
    if continuousActions {
      for i in 0..<actionCount {
        batch.actionValues[row * actionCount + i] = actionValues[slot * actionCount + i]
      }
    } else {
      batch.actionIndices[row] = actionIndices[slot]
    }
    batch.rewards[row] = rewards[slot]
    batch.costs[row] = costs[slot]
    batch.terminals[row] = terminals[slot]
    batch.returns[row] = returns[slot]
    batch.indices[row] = slot
  }
}
