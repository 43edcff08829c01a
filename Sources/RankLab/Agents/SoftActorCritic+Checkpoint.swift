import Environments

extension SACAgent {
  private struct Counters: Codable {
    var currentStep: Int
    var gradientStepsTaken: Int
    var rng: PCG64
    var adamSteps: [Int]
    var logTemperature: Float
  }

  private var optimizers: [(String, MLP?, Adam)] {
    [
      ("actor", actor, actorOptimizer), ("critic1", critic1, critic1Optimizer),
      ("critic2", critic2, critic2Optimizer), ("temperature", nil, temperatureOptimizer),
    ]
  }

  public func save(into archive: inout CheckpointArchive) throws {
    for (name, network) in [
      ("actor", actor), ("critic1", critic1), ("critic2", critic2), ("target1", target1),
      ("target2", target2),
    ] {
      archive.put("agent/\(name)", array: network.parameters)
    }
    for (name, _, optimizer) in optimizers {
      archive.putMoments(of: optimizer, scope: "agent", name: name)
    }
    try archive.put(
      "agent/state",
      json: Counters(
        currentStep: currentStep, gradientStepsTaken: gradientStepsTaken, rng: rng,
        adamSteps: optimizers.map(\.2.step), logTemperature: logTemperature[0]))
  }

  public func load(from archive: CheckpointArchive) throws {
    for (name, network) in [
      ("actor", actor), ("critic1", critic1), ("critic2", critic2), ("target1", target1),
      ("target2", target2),
    ] {
      network.parameters = try archive.array(
        "agent/\(name)", of: Float.self, count: network.parameters.count)
    }
    let counters = try archive.json("agent/state", as: Counters.self)
    func restore(_ optimizer: inout Adam, _ name: String, _ index: Int) throws {
      try archive.restoreMoments(
        of: &optimizer, step: counters.adamSteps[index], scope: "agent", name: name)
    }
    guard counters.adamSteps.count == 4 else {
      throw CheckpointError.invalid("agent/state: expected 4 optimizer step counts")
    }
    try restore(&actorOptimizer, "actor", 0)
    try restore(&critic1Optimizer, "critic1", 1)
    try restore(&critic2Optimizer, "critic2", 2)
    try restore(&temperatureOptimizer, "temperature", 3)
    currentStep = counters.currentStep
    gradientStepsTaken = counters.gradientStepsTaken
    rng = counters.rng
    logTemperature = [counters.logTemperature]
  }

  /// The policy file holds the actor, which acts, and the first critic, whose values recorded
  /// episodes carry (`q_value` / `q_values`); no target, second critic or optimizer.
  public func savePolicy(into archive: inout CheckpointArchive) throws {
    archive.put("policy/actor", array: actor.parameters)
    archive.put("policy/critic1", array: critic1.parameters)
  }

  /// A file written before the critic was saved acts the same; its episodes then record the
  /// actor's fields only (`recordsCriticValues` false).
  public func loadPolicy(from archive: CheckpointArchive) throws {
    actor.parameters = try archive.array(
      "policy/actor", of: Float.self, count: actor.parameters.count)
    if archive.names.contains("policy/critic1") {
      critic1.parameters = try archive.array(
        "policy/critic1", of: Float.self, count: critic1.parameters.count)
      recordsCriticValues = true
    } else {
      recordsCriticValues = false
    }
  }
}
