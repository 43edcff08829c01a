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
    returns = try archive.array("replay/returns", of: Float.self, count: capacity)
    let counters = try archive.json("replay/state", as: Counters.self)
    count = counters.count
    head = counters.head
    episodeLength = counters.episodeLength
  }

  /// Bytes the columns occupy.
  public var storedBytes: Int {
    4
      * (observations.count + nextObservations.count + actionIndices.count + actionValues.count + 4
        * capacity)
  }
}
