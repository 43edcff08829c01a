import Environments

/// What an agent is built from: the resolved experiment, the environment's spaces and the run's
/// seed (an agent draws its initial weights from stream 2 and explores and samples with stream
/// 3, as every agent of ranklab does).
public struct AgentContext {
  public var config: ExperimentConfig
  public var observationSpace: Space
  public var actionSpace: Space
  public var seed: Int
  /// The training environment when its model is known exactly (a gridworld), for agents that
  /// use it (`agent.fqi.target: optimal` regresses onto its Q*).
  public var tabularEnvironment: (any TabularEnvironment)?
  /// Built to act from a policy file only (no training): a distillation student then loads
  /// no teachers.
  public var policyOnly: Bool
  /// Tasks of the environment (a multi-task student's: its observations end in a one-hot task
  /// id of this many floats); 1 for most.
  public var taskCount: Int

  public init(
    config: ExperimentConfig, observationSpace: Space, actionSpace: Space, seed: Int,
    tabularEnvironment: (any TabularEnvironment)? = nil, policyOnly: Bool = false,
    taskCount: Int = 1
  ) {
    self.taskCount = taskCount
    self.config = config
    self.observationSpace = observationSpace
    self.actionSpace = actionSpace
    self.seed = seed
    self.tabularEnvironment = tabularEnvironment
    self.policyOnly = policyOnly
  }

  /// What one task's policy observes: the observation less a multi-task run's task id.
  public var taskObservationSpace: Space {
    guard taskCount > 1, case .box(let low, let high) = observationSpace else {
      return observationSpace
    }
    return .box(low: Array(low.dropLast(taskCount)), high: Array(high.dropLast(taskCount)))
  }

  /// Network initialisation (stream 2).
  public var initializationRNG: PCG64 { PCG64(seed: UInt64(seed), stream: [2]) }
  /// Exploration and minibatch sampling (stream 3).
  public var agentRNG: PCG64 { PCG64(seed: UInt64(seed), stream: [3]) }
  /// A second network's initialisation (SMERL's discriminator; stream [2, 1]), so adding it
  /// leaves the first networks' draws alone.
  public var discriminatorInitializationRNG: PCG64 { PCG64(seed: UInt64(seed), stream: [2, 1]) }
  /// The latent of each training episode (SMERL; stream 9).
  public var latentRNG: PCG64 { PCG64(seed: UInt64(seed), stream: [9]) }
}

/// One registered agent family: the `agent.algorithm` values it serves and how to build it.
public struct AgentEntry: Sendable {
  public let algorithms: [AgentConfig.Algorithm]
  public let summary: String
  public let make: @Sendable (AgentContext) throws -> any Agent

  public init(
    algorithms: [AgentConfig.Algorithm], summary: String,
    make: @escaping @Sendable (AgentContext) throws -> any Agent
  ) {
    self.algorithms = algorithms
    self.summary = summary
    self.make = make
  }
}

/// Every agent ranklab can train, keyed by `agent.algorithm` (as `EnvironmentCatalog` keys
/// environments by id). Register a new family by adding its entry here.
public enum AgentCatalog {
  public static let entries: [AgentEntry] = [
    AgentEntry(
      algorithms: [.dqn, .fqi, .cql, .mc],
      summary:
        "value-based: DQN / Double DQN, fitted Q-iteration, discrete CQL, Monte-Carlo control"
    ) { try QLearningAgent(context: $0) },
    AgentEntry(
      algorithms: [.sac],
      summary:
        "soft actor-critic: continuous (tanh Gaussian) or discrete (categorical); with smerl.mode, SMERL or DIAYN + reward on top; with safety.method, CSC or the Lagrangian baseline"
    ) { context -> any Agent in
      if context.config.safety.method != .none { return try SafeSACAgent(context: context) }
      if context.config.smerl.mode == .none { return try SACAgent(context: context) }
      return try SMERLAgent(context: context)
    },
    AgentEntry(
      algorithms: [.distill],
      summary:
        "policy distillation: a student network learns to act as teacher runs (discrete, or a Gaussian policy from a SAC teacher)"
    ) { context in
      if case .box = context.actionSpace { return try GaussianDistillationAgent(context: context) }
      return try DistillationAgent(context: context)
    },
  ]

  /// Builds the agent the config's `agent.algorithm` names.
  public static func make(_ context: AgentContext) throws -> any Agent {
    let algorithm = context.config.agent.algorithm
    guard let entry = entries.first(where: { $0.algorithms.contains(algorithm) }) else {
      throw RunError.unsupported("no agent is registered for algorithm '\(algorithm.rawValue)'")
    }
    return try entry.make(context)
  }
}
