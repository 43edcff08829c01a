import Environments
import Yams

/// `agent:` the learner. Keys every algorithm shares sit here, with defaults that depend on the
/// algorithm (SB3's: DQN's for the value-based family, SAC's for `sac`; `ranklab run
/// --help-config --set agent.algorithm=sac` prints them); each algorithm's own keys sit in its
/// own section (`agent.dqn`, `agent.fqi`, `agent.cql`, `agent.sac`), present only for the
/// algorithms that read it.
public struct AgentConfig: Codable, Equatable, Sendable {
  public init() {}

  /// dqn: Q-learning with a target network; fqi: fitted Q-iteration, the same Q-network update
  /// with the target refreshed every `agent.fqi.k` gradient steps (one fitting iteration) and the
  /// iterations counted; cql: discrete CQL(H), for offline data; mc: regression onto Monte-Carlo
  /// returns, no bootstrapping (the control); sac: soft actor-critic, continuous or discrete by
  /// the action space; distill: a student network learning to act as teacher runs
  /// (`agent.distill`).
  public enum Algorithm: String, Codable, CaseIterable, Sendable {
    case dqn, fqi, cql, mc, sac, distill

    /// The value-based family (QLearningAgent), which reads `agent.dqn`.
    public var isValueBased: Bool { self != .sac && self != .distill }
  }
  public enum Loss: String, Codable, CaseIterable, Sendable { case huber, mse }

  public var algorithm = Algorithm.dqn
  public var network = NetworkConfig()
  public var learningRate = 2.3e-3
  /// With a value, the learning rate falls linearly from `learning_rate` to this over the run
  /// (SB3's `lin_` schedules); null keeps it constant.
  public var learningRateFinal: Double? = nil
  public var adamEps = 1e-8
  public var gamma = 0.99
  public var batchSize = 64
  /// Global gradient-norm clip (0: none).
  public var maxGradNorm = 10.0
  /// Environment steps between training phases.
  public var trainFreq = 256
  /// Gradient steps per training phase.
  public var gradientSteps = 128
  /// Environment steps before training starts.
  public var learningStarts = 1_000
  /// The value-based family's Q-network update (dqn, fqi, cql, mc).
  public var dqn: DQNConfig? = DQNConfig()
  /// Fitted Q-iteration's schedule (fqi).
  public var fqi: FQIConfig? = nil
  /// CQL's conservative term (cql).
  public var cql: CQLConfig? = nil
  /// Soft actor-critic (sac).
  public var sac: SACConfig? = nil
  /// Policy distillation (distill).
  public var distill: DistillConfig? = nil

  enum CodingKeys: String, CodingKey {
    case algorithm, network, gamma
    case learningRate = "learning_rate"
    case learningRateFinal = "learning_rate_final"
    case adamEps = "adam_eps"
    case batchSize = "batch_size"
    case maxGradNorm = "max_grad_norm"
    case trainFreq = "train_freq"
    case gradientSteps = "gradient_steps"
    case learningStarts = "learning_starts"
    case dqn, fqi, cql, sac, distill
  }

  // Sections the algorithm does not read are left out of the encoding (the resolved
  // config.yaml still lists them as null: the loader's merge keeps every schema key), so either
  // form reads back as it was.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(algorithm, forKey: .algorithm)
    try c.encode(network, forKey: .network)
    try c.encode(learningRate, forKey: .learningRate)
    try c.encode(learningRateFinal, forKey: .learningRateFinal)
    try c.encode(adamEps, forKey: .adamEps)
    try c.encode(gamma, forKey: .gamma)
    try c.encode(batchSize, forKey: .batchSize)
    try c.encode(maxGradNorm, forKey: .maxGradNorm)
    try c.encode(trainFreq, forKey: .trainFreq)
    try c.encode(gradientSteps, forKey: .gradientSteps)
    try c.encode(learningStarts, forKey: .learningStarts)
    try c.encodeIfPresent(dqn, forKey: .dqn)
    try c.encodeIfPresent(fqi, forKey: .fqi)
    try c.encodeIfPresent(cql, forKey: .cql)
    try c.encodeIfPresent(sac, forKey: .sac)
    try c.encodeIfPresent(distill, forKey: .distill)
  }

  /// Which algorithms read each section.
  static let sectionOwners: [String: [Algorithm]] = [
    "dqn": [.dqn, .fqi, .cql, .mc], "fqi": [.fqi], "cql": [.cql], "sac": [.sac],
    "distill": [.distill],
  ]

  /// The defaults for `algorithm`: its sections present, the others absent, and SB3's shared
  /// hyperparameters for SAC.
  public static func defaults(for algorithm: Algorithm) -> AgentConfig {
    var config = AgentConfig()
    config.algorithm = algorithm
    config.dqn = algorithm.isValueBased ? DQNConfig() : nil
    config.fqi = algorithm == .fqi ? FQIConfig() : nil
    config.cql = algorithm == .cql ? CQLConfig() : nil
    if algorithm == .distill {
      // Supervised regression: one gradient step per environment step, a smaller rate.
      config.distill = DistillConfig()
      config.learningRate = 1e-3
      config.trainFreq = 1
      config.gradientSteps = 1
      config.learningStarts = 1_000
    }
    if algorithm == .sac {
      config.sac = SACConfig()
      config.learningRate = 3e-4
      config.batchSize = 256
      config.maxGradNorm = 0
      config.trainFreq = 1
      config.gradientSteps = 1
      config.learningStarts = 100
    }
    return config
  }

  /// The Q-network update's keys (present for every value-based algorithm).
  public var q: DQNConfig { dqn ?? DQNConfig() }
}

/// `agent.dqn:` the value-based family's Q-network update (dqn, fqi, cql, mc).
public struct DQNConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Double DQN: the online network picks the next action, the target network values it.
  public var doubleQ = false
  public var loss = AgentConfig.Loss.huber
  /// How the target network follows the online one (fqi: see `agent.fqi.k` instead).
  public var targetUpdate = TargetUpdateConfig()
  public var exploration = ExplorationConfig()
  /// Advantage learning's α (0: plain Q-learning targets): the target subtracts α times the
  /// taken action's gap to the best one, widening action gaps by 1/(1 − α).
  public var advantageLearning = 0.0
  /// Rate of an exponential moving average of the online weights, updated after every gradient
  /// step; when positive, the greedy policy (evaluation, recorded episodes) acts with the
  /// average instead of the latest iterate (0: off). Training data collection is unchanged.
  public var policyAveraging = 0.0
  /// Fu et al.'s `ent_wt` τ (0: off): soft Q-learning. The backup values s′ by
  /// τ · logsumexp(Q_target(s′, ·) / τ) instead of the max, training data are collected by the
  /// Boltzmann policy softmax(Q(s, ·) / τ) (after any ε draw), and the Q* control
  /// (`agent.fqi.target: optimal`) regresses onto the soft Q* of the same τ. Evaluation and
  /// recorded episodes stay greedy.
  public var entropyWeight = 0.0
  public var regularizer = RegularizerConfig()

  enum CodingKeys: String, CodingKey {
    case loss, exploration, regularizer
    case entropyWeight = "entropy_weight"
    case doubleQ = "double_q"
    case targetUpdate = "target_update"
    case advantageLearning = "advantage_learning"
    case policyAveraging = "policy_averaging"
  }
}

/// `agent.fqi:` fitted Q-iteration: each fitting iteration is K gradient steps toward a frozen
/// target, which is then refreshed with a hard copy; `train/fitting_iterations` counts them.
public struct FQIConfig: Codable, Equatable, Sendable {
  public init() {}

  /// What each fitting iteration regresses onto.
  public enum Target: String, Codable, CaseIterable, Sendable {
    /// r + γ max Q_target(s′): fitted Q-iteration.
    case bootstrap
    /// The exact Q*(s, a) of the environment's known model, by value iteration (tabular
    /// environments only): the control with FQI's data, scale and schedule but no bootstrapping.
    case optimal
  }

  /// K: gradient steps per fitting iteration.
  public var k = 16
  public var target = Target.bootstrap

  enum CodingKeys: String, CodingKey { case k, target }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    k = try c.decodeIfPresent(Int.self, forKey: .k) ?? 16
    target = try c.decodeIfPresent(Target.self, forKey: .target) ?? .bootstrap
  }
}

/// `agent.cql:` discrete CQL(H).
public struct CQLConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Weight on mean(logsumexp Q − Q(data)).
  public var alpha = 1.0
}

/// `agent.sac:` soft actor-critic (Haarnoja et al. 2018, learned temperature; Christodoulou 2019
/// for discrete actions), with Stable-Baselines3's defaults.
public struct SACConfig: Codable, Equatable, Sendable {
  public init() {}

  public enum MeasuredNetwork: String, Codable, CaseIterable, Sendable { case critic, actor }
  /// What the entropy bonus is measured from.
  public enum EntropyReference: String, Codable, CaseIterable, Sendable {
    /// SAC as published: the soft value pays α · H(π(·|s′)), positive for discrete actions, so
    /// every step alive is worth a bonus and ending an episode (reaching a goal) costs the
    /// bonuses it forgoes.
    case zero
    /// α · (H − H_max) = −α · KL(π ‖ uniform), never positive (H_max: log |A|, or |A| · log 2
    /// for the tanh-squashed box): a constant shift per step, which leaves the actor and
    /// temperature updates unchanged and only stops the bonus from rewarding long episodes.
    case uniform
  }

  /// Polyak rate of the target critics.
  public var tau = 0.005
  /// Gradient steps between target-critic updates.
  public var targetUpdateInterval = 1
  /// Initial temperature α.
  public var initialTemperature = 1.0
  /// Learn α toward `target_entropy` (false: α stays at `initial_temperature`).
  public var learnTemperature = true
  /// Target entropy; null: −|A| for continuous actions, `discrete_target_entropy_scale` ·
  /// log |A| for discrete ones.
  public var targetEntropy: Double? = nil
  /// Discrete SAC's target entropy as a fraction of the uniform policy's (Christodoulou: 0.98).
  public var discreteTargetEntropyScale = 0.98
  /// Whose penultimate features `rank/*` measures: the first critic or the actor.
  public var rankNetwork = MeasuredNetwork.critic
  /// The soft value's entropy bonus: from zero (SAC) or from the uniform policy's entropy.
  public var entropyReference = EntropyReference.zero

  enum CodingKeys: String, CodingKey {
    case tau
    case targetUpdateInterval = "target_update_interval"
    case initialTemperature = "initial_temperature"
    case learnTemperature = "learn_temperature"
    case targetEntropy = "target_entropy"
    case discreteTargetEntropyScale = "discrete_target_entropy_scale"
    case rankNetwork = "rank_network"
    case entropyReference = "entropy_reference"
  }
}

/// `agent.network:` the agent's networks (an MLP each: the Q-network; SAC's actor and critics).
public struct NetworkConfig: Codable, Equatable, Sendable {
  public init() {}

  public var hidden = [256, 256]
  public var activation = Activation.relu
  public var `init` = Initialization.torch
}

/// `agent.dqn.target_update:` how the target network follows the online one.
public struct TargetUpdateConfig: Codable, Equatable, Sendable {
  public init() {}

  public enum Kind: String, Codable, CaseIterable, Sendable { case hard, polyak }
  public enum Unit: String, Codable, CaseIterable, Sendable {
    /// SB3's `target_update_interval`: counted in environment steps.
    case envSteps = "env_steps"
    /// Fitted Q-iteration's K: gradient steps per target update.
    case gradientSteps = "gradient_steps"
  }
  public var kind = Kind.hard
  /// Update every this many units.
  public var every = 10
  public var unit = Unit.envSteps
  /// Polyak weight of the online network at each update (1: a hard copy).
  public var tau = 1.0
}

/// `agent.dqn.exploration:` ε-greedy, linearly annealed (SB3's schedule).
public struct ExplorationConfig: Codable, Equatable, Sendable {
  public init() {}

  public var initialEps = 1.0
  public var finalEps = 0.04
  /// Fraction of `steps` over which ε anneals.
  public var fraction = 0.16

  enum CodingKeys: String, CodingKey {
    case initialEps = "initial_eps"
    case finalEps = "final_eps"
    case fraction
  }
}

/// `agent.dqn.regularizer:` a remedy for rank collapse.
public struct RegularizerConfig: Codable, Equatable, Sendable {
  public init() {}

  /// none; srank_penalty: coefficient · (σ_max² − σ_min²) of the features of the minibatch's
  /// distinct states, σ_min the smallest of min(states, features) values (Kumar et al. 2020);
  /// dr3: coefficient · mean_i ⟨φ(s_i,a_i), φ(s'_i,a'_i)⟩ (Kumar et al. 2021), a batch mean
  /// like the TD loss.
  public enum Kind: String, Codable, CaseIterable, Sendable {
    case none
    case srankPenalty = "srank_penalty"
    case dr3
  }
  public var kind = Kind.none
  public var coefficient = 0.001
}

extension AgentConfig {
  /// SB3's training schedule, which every online agent follows: after `learning_starts`
  /// environment steps, every `train_freq`-th step, once anything can be sampled.
  public func trainsAt(step: Int, sampleable: Int) -> Bool {
    step > learningStarts && step % trainFreq == 0 && sampleable > 0
  }
}
