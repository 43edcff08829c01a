import Environments

extension QLearningAgent {
  private struct Counters: Codable {
    var currentStep: Int
    var gradientStepsTaken: Int
    var rng: PCG64
    var churnRNG: PCG64
    var adamStep: Int
  }

  public func save(into archive: inout CheckpointArchive) throws {
    archive.put("agent/online", array: online.parameters)
    archive.put("agent/target", array: target.parameters)
    if let averaged { archive.put("agent/averaged", array: averaged.parameters) }
    archive.putMoments(of: optimizer, scope: "agent")
    try archive.put(
      "agent/state",
      json: Counters(
        currentStep: currentStep, gradientStepsTaken: gradientStepsTaken, rng: rng,
        churnRNG: churnRNG, adamStep: optimizer.step))
  }

  public func load(from archive: CheckpointArchive) throws {
    let count = online.parameters.count
    online.parameters = try archive.array("agent/online", of: Float.self, count: count)
    target.parameters = try archive.array("agent/target", of: Float.self, count: count)
    if let averaged {
      averaged.parameters = try archive.array("agent/averaged", of: Float.self, count: count)
    }
    let counters = try archive.json("agent/state", as: Counters.self)
    try archive.restoreMoments(of: &optimizer, step: counters.adamStep, scope: "agent")
    currentStep = counters.currentStep
    gradientStepsTaken = counters.gradientStepsTaken
    rng = counters.rng
    churnRNG = counters.churnRNG
  }
}

extension QLearningAgent {
  /// The policy file holds the network the greedy policy acts with (the average where
  /// `policy_averaging` keeps one).
  public func savePolicy(into archive: inout CheckpointArchive) throws {
    archive.put("policy/q_network", array: (averaged ?? online).parameters)
  }

  public func loadPolicy(from archive: CheckpointArchive) throws {
    let parameters = try archive.array(
      "policy/q_network", of: Float.self, count: online.parameters.count)
    online.parameters = parameters
    averaged?.parameters = parameters
  }
}
