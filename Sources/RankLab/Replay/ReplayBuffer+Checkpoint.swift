import Environments

extension ReplayBuffer {
  private struct Counters: Codable {
    var count: Int
    var head: Int
    var episodeLength: Int
  }

  /// Writes every column and counter, so a restored buffer samples exactly as this one would.
  public func save(into archive: inout CheckpointArchive) throws {
    archive.put("replay/observations", array: observations)
    archive.put("replay/next_observations", array: nextObservations)
    archive.put("replay/action_indices", array: actionIndices)
    archive.put("replay/action_values", array: actionValues)
    archive.put("replay/rewards", array: rewards)
    archive.put("replay/costs", array: costs)
    archive.put("replay/terminals", array: terminals)
    archive.put("replay/ends", array: ends)
    archive.put("replay/returns", array: returns)
    try archive.put(
      "replay/state", json: Counters(count: count, head: head, episodeLength: episodeLength))
  }

  public func load(from archive: CheckpointArchive) throws {
    observations = try archive.array(
      "replay/observations", of: Float.self, count: observations.count)
    nextObservations = try archive.array(
      "replay/next_observations", of: Float.self, count: nextObservations.count)
    actionIndices = try archive.array(
      "replay/action_indices", of: Int32.self, count: actionIndices.count)
    actionValues = try archive.array(
      "replay/action_values", of: Float.self, count: actionValues.count)
    rewards = try archive.array("replay/rewards", of: Float.self, count: capacity)
    costs = try archive.array("replay/costs", of: Float.self, count: capacity)
    terminals = try archive.array("replay/terminals", of: Float.self, count: capacity)
    ends = try archive.array("replay/ends", of: UInt8.self, count: capacity)
    returns = try archive.array("replay/returns", of: Float.self, count: capacity)
    let counters = try archive.json("replay/state", as: Counters.self)
    count = counters.count
    head = counters.head
    episodeLength = counters.episodeLength
  }

  /// Bytes the columns occupy.
  public var storedBytes: Int {
    let floats =
      observations.count + nextObservations.count + actionIndices.count + actionValues.count
    return 4 * (floats + 4 * capacity) + ends.count
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

  /// Figures over the stored transitions in insertion order; episode returns count finished
  /// episodes only.
  public func statistics() -> Statistics {
    var stats = Statistics(
      episodes: 0, terminations: 0, meanReward: .nan, meanReturn: .nan, totalCost: 0)
    guard count > 0 else { return stats }
    let first = count < capacity ? 0 : head
    var rewardSum = 0.0
    var episodeReturn = 0.0
    var returnSum = 0.0
    for k in 0..<count {
      let slot = (first + k) % capacity
      rewardSum += Double(rewards[slot])
      episodeReturn += Double(rewards[slot])
      stats.totalCost += Double(costs[slot])
      let end = EpisodeEnd(rawValue: ends[slot]) ?? .none
      if end == .terminated { stats.terminations += 1 }
      if end.isEnd {
        stats.episodes += 1
        returnSum += episodeReturn
        episodeReturn = 0
      }
    }
    stats.meanReward = rewardSum / Double(count)
    if stats.episodes > 0 { stats.meanReturn = returnSum / Double(stats.episodes) }
    return stats
  }
}
