import Environments
import Yams

/// An experiment: what to train, on what, for how long, and what to measure. Every key and its
/// default is written once: here, and for the larger sections in their own files
/// (`AgentConfig.swift`, `DistillConfig.swift`, `SMERLConfig.swift`, `SafetyConfig.swift`);
/// `ranklab run --help-config` prints them, and a run saves its fully resolved config beside
/// its results.
public struct ExperimentConfig: ConfigSchema {
  /// Run name: the output directory is `runs/<name>/<seed>/` (defaults to the config file's name).
  public var name = ""
  /// Seeds to run, one directory each.
  public var seeds = [0]
  /// Environment steps of training (offline runs: gradient steps).
  public var steps = 50_000
  public var env = EnvConfig()
  public var agent = AgentConfig()
  public var replay = ReplayConfig()
  public var offline = OfflineConfig()
  public var eval = EvalConfig()
  public var rank = RankConfig()
  public var checkpoint = CheckpointConfig()
  public var log = LogConfig()
  public var smerl = SMERLConfig()
  public var safety = SafetyConfig()

  public init() {}

  /// `sweep:` expands into the variants; `slurm:` (`SlurmConfig`) is the sweep's cluster
  /// resources, read beside the experiment so that it never enters a run's config.yaml.
  public static let reservedKeys: Set<String> = ["sweep", "slurm"]

  /// The algorithm's defaults (see `AgentConfig.defaults(for:)`).
  public static func defaults(for user: Node) -> ExperimentConfig {
    var config = ExperimentConfig()
    if let name = user.mapping?[Node("agent")]?.mapping?[Node("algorithm")]?.string,
      let algorithm = AgentConfig.Algorithm(rawValue: name)
    {
      config.agent = AgentConfig.defaults(for: algorithm)
    }
    return config
  }

  /// A section of another algorithm is an error naming the algorithm it belongs to.
  public static func structuralProblems(in user: Node) -> [(path: [String], message: String)] {
    guard let agent = user.mapping?[Node("agent")]?.mapping else { return [] }
    let name = agent[Node("algorithm")]?.string ?? AgentConfig().algorithm.rawValue
    guard let algorithm = AgentConfig.Algorithm(rawValue: name) else { return [] }
    var problems: [(path: [String], message: String)] = []
    for (key, value) in agent where value.mapping != nil {
      guard let section = key.string, let owners = AgentConfig.sectionOwners[section],
        !owners.contains(algorithm)
      else { continue }
      let names = owners.map(\.rawValue).joined(separator: ", ")
      problems.append(
        (
          ["agent", section],
          "'agent.\(section)' belongs to algorithm \(names), not to '\(name)' (agent.algorithm); remove it or change the algorithm"
        ))
    }
    if algorithm == .fqi, agent[Node("dqn")]?.mapping?[Node("target_update")] != nil {
      problems.append(
        (
          ["agent", "dqn", "target_update"],
          "fqi refreshes its target every agent.fqi.k gradient steps; set agent.fqi.k instead of agent.dqn.target_update"
        ))
    }
    return problems
  }

  public static var shapes: [String: Node] {
    // eval.env: a whole environment section of its own.
    // agent.distill.teachers[]: each teacher is a path.
    [
      "eval.env": (try? NodeEncoder().encode(EnvConfig())) ?? Node("null"),
      "agent.distill.teachers[]": Node("", Tag(.str)),
      "env.safety": (try? NodeEncoder().encode(SafetyRegion())) ?? Node("null"),
      "eval.env.safety": (try? NodeEncoder().encode(SafetyRegion())) ?? Node("null"),
    ]
  }

  public static let numberMappings: Set<String> = ["env.params", "eval.env.params"]

  /// The value-based family's keys sat directly under `agent:` before each algorithm had its
  /// own section.
  public static let movedKeys: [String: String] = Dictionary(
    uniqueKeysWithValues: [
      "double_q", "loss", "target_update", "exploration", "advantage_learning",
      "policy_averaging", "regularizer",
    ].map { ("agent.\($0)", "agent.dqn.\($0)") })

  public static let choices: [String: [String]] = [
    "agent.algorithm": AgentConfig.Algorithm.allCases.map(\.rawValue),
    "agent.dqn.loss": AgentConfig.Loss.allCases.map(\.rawValue),
    "agent.network.activation": Activation.allCases.map(\.rawValue),
    "agent.network.init": Initialization.allCases.map(\.rawValue),
    "agent.dqn.target_update.kind": TargetUpdateConfig.Kind.allCases.map(\.rawValue),
    "agent.dqn.target_update.unit": TargetUpdateConfig.Unit.allCases.map(\.rawValue),
    "agent.dqn.regularizer.kind": RegularizerConfig.Kind.allCases.map(\.rawValue),
    "agent.fqi.target": FQIConfig.Target.allCases.map(\.rawValue),
    "agent.sac.rank_network": SACConfig.MeasuredNetwork.allCases.map(\.rawValue),
    "agent.sac.entropy_reference": SACConfig.EntropyReference.allCases.map(\.rawValue),
    "smerl.mode": SMERLConfig.Mode.allCases.map(\.rawValue),
    "smerl.discriminator.activation": Activation.allCases.map(\.rawValue),
    "safety.method": SafetyConfig.Method.allCases.map(\.rawValue),
    "safety.failure_estimate": SafetyConfig.FailureEstimate.allCases.map(\.rawValue),
    "safety.multiplier_from": SafetyConfig.MultiplierSource.allCases.map(\.rawValue),
    "safety.critic_loss": SafetyConfig.CriticLoss.allCases.map(\.rawValue),
    "safety.policy_penalty": SafetyConfig.PolicyPenalty.allCases.map(\.rawValue),
    "smerl.bonus": SMERLConfig.Bonus.allCases.map(\.rawValue),
    "smerl.credit": SMERLConfig.Credit.allCases.map(\.rawValue),
    "agent.distill.loss": DistillConfig.Loss.allCases.map(\.rawValue),
    "agent.distill.data": DistillConfig.Data.allCases.map(\.rawValue),
    "agent.distill.ensemble": DistillConfig.Ensemble.allCases.map(\.rawValue),
    "env.observation": GridObservation.allCases.map(\.rawValue),
    "eval.env.observation": GridObservation.allCases.map(\.rawValue),
    "offline.behaviour": OfflineConfig.Behaviour.allCases.map(\.rawValue),
    "replay.dedup_observations": ReplayConfig.Dedup.allCases.map(\.rawValue),
  ]

  public func validate() -> [(path: String, message: String)] {
    var problems: [(String, String)] = []
    func require(_ ok: Bool, _ path: String, _ message: String) {
      if !ok { problems.append((path, "'\(path)' \(message)")) }
    }
    require(!seeds.isEmpty, "seeds", "needs at least one seed")
    require(seeds.allSatisfy { $0 >= 0 }, "seeds", "must be non-negative")
    require(steps > 0, "steps", "must be positive")
    // A distillation student may be linear (`hidden: []`).
    require(
      (!agent.network.hidden.isEmpty || agent.algorithm == .distill)
        && agent.network.hidden.allSatisfy { $0 > 0 },
      "agent.network.hidden",
      "must list at least one positive layer width")
    require(agent.learningRate > 0, "agent.learning_rate", "must be positive")
    require(agent.adamEps > 0, "agent.adam_eps", "must be positive")
    if let final = agent.learningRateFinal {
      require(final >= 0, "agent.learning_rate_final", "must be non-negative")
    }
    require((0...1).contains(agent.gamma), "agent.gamma", "must be within [0, 1]")
    require(agent.batchSize >= 1, "agent.batch_size", "must be at least 1")
    require(
      agent.maxGradNorm >= 0, "agent.max_grad_norm", "must be non-negative (0 disables clipping)")
    require(agent.trainFreq >= 1, "agent.train_freq", "must be at least 1")
    require(agent.gradientSteps >= 1, "agent.gradient_steps", "must be at least 1")
    require(agent.learningStarts >= 0, "agent.learning_starts", "must be non-negative")
    if let q = agent.dqn {
      require(q.targetUpdate.every >= 1, "agent.dqn.target_update.every", "must be at least 1")
      require(
        q.targetUpdate.tau > 0 && q.targetUpdate.tau <= 1, "agent.dqn.target_update.tau",
        "must be within (0, 1]")
      for (key, value) in [
        ("initial_eps", q.exploration.initialEps), ("final_eps", q.exploration.finalEps),
        ("fraction", q.exploration.fraction),
      ] {
        require((0...1).contains(value), "agent.dqn.exploration.\(key)", "must be within [0, 1]")
      }
      require(
        q.advantageLearning >= 0 && q.advantageLearning < 1, "agent.dqn.advantage_learning",
        "must be within [0, 1)")
      require(
        q.policyAveraging >= 0 && q.policyAveraging <= 1, "agent.dqn.policy_averaging",
        "must be within [0, 1] (0: off)")
      require(
        q.entropyWeight >= 0 && q.entropyWeight.isFinite, "agent.dqn.entropy_weight",
        "must be a non-negative number (0: hard max and greedy data)")
      require(
        q.entropyWeight == 0 || (!q.doubleQ && q.advantageLearning == 0),
        "agent.dqn.entropy_weight",
        "soft backups value s′ by logsumexp over every action, so they combine with neither double_q nor advantage_learning; turn those off"
      )
      require(
        q.regularizer.coefficient >= 0, "agent.dqn.regularizer.coefficient",
        "must be non-negative")
      require(
        q.regularizer.kind != .dr3 || agent.algorithm != .mc, "agent.dqn.regularizer.kind",
        "dr3 acts on next-state features, which the Monte-Carlo control (algorithm: mc) never computes"
      )
      require(
        q.advantageLearning == 0 || agent.algorithm != .mc, "agent.dqn.advantage_learning",
        "needs bootstrapped targets; the Monte-Carlo control (algorithm: mc) has none")
      require(
        // fqi refreshes by agent.fqi.k and mc has no target network.
        !offline.enabled || [.fqi, .mc].contains(agent.algorithm)
          || q.targetUpdate.unit == .gradientSteps,
        "agent.dqn.target_update.unit",
        "must be gradient_steps for offline training (there are no environment steps)")
    }
    if let fqi = agent.fqi { require(fqi.k >= 1, "agent.fqi.k", "must be at least 1") }
    if let cql = agent.cql { require(cql.alpha >= 0, "agent.cql.alpha", "must be non-negative") }
    if let sac = agent.sac {
      require(sac.tau > 0 && sac.tau <= 1, "agent.sac.tau", "must be within (0, 1]")
      require(
        sac.targetUpdateInterval >= 1, "agent.sac.target_update_interval", "must be at least 1")
      require(sac.initialTemperature > 0, "agent.sac.initial_temperature", "must be positive")
      require(
        sac.discreteTargetEntropyScale > 0 && sac.discreteTargetEntropyScale <= 1,
        "agent.sac.discrete_target_entropy_scale", "must be within (0, 1]")
      require(
        !offline.enabled, "offline.enabled",
        "is for the value-based agents; SAC learns from its own interaction")
      require(
        !replay.prioritized.enabled, "replay.prioritized.enabled",
        "is not implemented for SAC (its update samples uniformly); turn it off")
    }
    if smerl.mode != .none {
      require(
        agent.algorithm == .sac, "smerl.mode",
        "'\(smerl.mode.rawValue)' stands on SAC; set agent.algorithm: sac (or smerl.mode: none)")
      require(smerl.latents >= 2, "smerl.latents", "must be at least 2 (one latent is plain SAC)")
      require(smerl.alpha >= 0, "smerl.alpha", "must be non-negative")
      require(
        (0..<1).contains(smerl.nearOptimalFraction), "smerl.near_optimal_fraction",
        "must be within [0, 1)")
      if case .value(let epsilon) = smerl.epsilon {
        require(epsilon >= 0, "smerl.epsilon", "must be non-negative (or auto)")
      }
      require(
        smerl.discriminator.hidden.allSatisfy { $0 > 0 }, "smerl.discriminator.hidden",
        "must list positive layer widths")
      require(
        smerl.discriminator.learningRate > 0, "smerl.discriminator.learning_rate",
        "must be positive")
      require(
        smerl.discriminator.inputs.allSatisfy { $0 >= 0 }, "smerl.discriminator.inputs",
        "must list observation indices (0-based), or be empty for the whole observation")
    }
    if let distill = agent.distill { problems += distill.problems(offline: offline.enabled) }
    problems += safety.problems(algorithm: agent.algorithm, nStep: replay.nStep, smerl: smerl.mode)
    require(replay.capacity >= 1, "replay.capacity", "must be at least 1")
    require(
      (1...ReplayBuffer.maxChunkSize).contains(replay.chunkSize), "replay.chunk_size",
      "must be within 1...\(ReplayBuffer.maxChunkSize)")
    require(replay.memoryLimitMB >= 0, "replay.memory_limit_mb", "must be non-negative (0: no cap)")
    require(replay.cacheChunks >= 1, "replay.cache_chunks", "must be at least 1")
    require(replay.nStep >= 1, "replay.n_step", "must be at least 1")
    require(replay.prioritized.alpha >= 0, "replay.prioritized.alpha", "must be non-negative")
    for (key, value) in [
      ("beta", replay.prioritized.beta), ("beta_final", replay.prioritized.betaFinal),
    ] {
      require((0...1).contains(value), "replay.prioritized.\(key)", "must be within [0, 1]")
    }
    require(replay.prioritized.epsilon > 0, "replay.prioritized.epsilon", "must be positive")
    require(
      !replay.prioritized.enabled || agent.algorithm != .mc, "replay.prioritized.enabled",
      "has no TD errors to prioritize by with the Monte-Carlo control (algorithm: mc)")
    require(offline.datasetSteps >= 1, "offline.dataset_steps", "must be at least 1")
    // Collected in place, the dataset must fit the buffer whole, as a saved one does.
    require(
      !offline.enabled || offline.dataset != nil || offline.datasetSteps <= replay.capacity,
      "offline.dataset_steps",
      "must not exceed replay.capacity (\(replay.capacity)): the dataset is kept whole")
    require(eval.every >= 1, "eval.every", "must be at least 1")
    require(eval.episodes >= 1, "eval.episodes", "must be at least 1")
    require(eval.finalEpisodes >= 0, "eval.final_episodes", "must be non-negative")
    require(eval.record >= 0, "eval.record", "must be non-negative")
    require(eval.recordEvery >= 0, "eval.record_every", "must be non-negative (0: never)")
    require(rank.every >= 0, "rank.every", "must be non-negative (0 disables rank measurement)")
    require(rank.probeSize >= 1, "rank.probe_size", "must be at least 1")
    require(rank.delta > 0 && rank.delta < 1, "rank.delta", "must be within (0, 1)")
    require(rank.threshold >= 0, "rank.threshold", "must be non-negative")
    require(
      checkpoint.every >= 0, "checkpoint.every", "must be non-negative (0 disables checkpoints)")
    require(checkpoint.keep >= 1, "checkpoint.keep", "must be at least 1")
    require(log.every >= 1, "log.every", "must be at least 1")
    for (prefix, section) in [("env", env)] + (eval.env.map { [("eval.env", $0)] } ?? []) {
      require(
        EnvironmentCatalog.entry(id: section.id) != nil, "\(prefix).id",
        "is not a known environment (see `ranklab envs`): '\(section.id)'")
      for problem in section.options.problems() {
        problems.append(
          ("\(prefix).\(problem.key)", "'\(prefix).\(problem.key)' \(problem.message)"))
      }
      // Physical parameters are checked here, against the environment's own list, so a sweep
      // with a bad one stops before any variant runs.
      if let entry = EnvironmentCatalog.entry(id: section.id),
        let params = section.options.params
      {
        let known = entry.parameters.map(\.name)
        for (name, value) in params.sorted(by: { $0.key < $1.key }) {
          let path = "\(prefix).params.\(name)"
          if known.isEmpty {
            require(false, path, "is not a parameter: \(section.id) takes no physical parameters")
          } else {
            require(
              known.contains(name), path,
              "is not a parameter of \(section.id); its parameters: \(known.joined(separator: ", "))"
            )
            require(value.isFinite && value > 0, path, "must be a positive finite number")
          }
        }
      }
    }
    if agent.algorithm == .sac {
      require(
        replay.nStep == 1, "replay.n_step",
        "must be 1 for SAC (its soft target has no n-step form here: the entropy terms of the intermediate steps would be dropped)"
      )
      require(
        !rank.ntkVelocity, "rank.ntk_velocity",
        "is measured for the value-based agents only; SAC has no tangent kernel here")
    }
    return problems
  }
}

/// `env:` the environment: its id and its options, each defined once in `EnvironmentOptions`
/// (Environments/Registry/EnvironmentOptions.swift; `ranklab envs` lists ids, the gridworld
/// options are in Environments/Maps/README.md).
public struct EnvConfig: Codable, Equatable, Sendable {
  public init() {}

  public var id = "CartPole-v1"
  public var options = EnvironmentOptions()

  enum CodingKeys: String, CodingKey { case id }

  // The options sit beside `id` in the same mapping.
  public init(from decoder: any Decoder) throws {
    id = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .id)
    options = try EnvironmentOptions(from: decoder)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try options.encode(to: encoder)
  }
}

/// `replay:` the replay buffer: how much it holds, how it stores it, how it samples.
public struct ReplayConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Transitions kept; when full, the oldest chunk is evicted.
  public var capacity = 100_000
  /// Transitions per chunk: the unit that is sealed (encoded with the codecs) and evicted
  /// (1...32768; small buffers use at most an eighth of their capacity).
  public var chunkSize = 1024
  /// Evicts the oldest chunks while the buffer's memory exceeds this many MiB (0: no cap).
  public var memoryLimitMB = 0.0
  /// Decoded chunks kept per column, for sampling from chunks whose codec is not `none`.
  public var cacheChunks = 16
  /// Store each distinct observation once (ids instead of rows): `auto` does so when the
  /// environment's observations repeat (gridworlds).
  public var dedupObservations = Dedup.auto
  /// How each column of a sealed chunk is encoded: `none` (sampled in place, fastest) or a
  /// chain such as `xor_delta+shuffle+zstd(3)` (smallest; sampled through the cache).
  public var codecs = ReplayCodecs()
  /// Rewards summed per sampled transition (n-step returns); targets bootstrap with gamma^n.
  public var nStep = 1
  public var prioritized = PrioritizedConfig()

  public enum Dedup: String, Codable, CaseIterable, Sendable {
    case auto, on, off
  }

  // In declaration order, which is the order `--help-config` prints.
  enum CodingKeys: String, CodingKey {
    case capacity
    case chunkSize = "chunk_size"
    case memoryLimitMB = "memory_limit_mb"
    case cacheChunks = "cache_chunks"
    case dedupObservations = "dedup_observations"
    case codecs
    case nStep = "n_step"
    case prioritized
  }
}

/// `replay.codecs:` one codec per stored column (see `ColumnCodec`).
public struct ReplayCodecs: Codable, Equatable, Sendable {
  public init() {}

  /// Observation rows, or observation ids when observations are deduplicated.
  public var observations = ColumnCodec.none
  /// Each transition's frame number inside its chunk.
  public var frameIndex = ColumnCodec.none
  public var actions = ColumnCodec.none
  public var rewards = ColumnCodec.none
  public var costs = ColumnCodec.none
  /// Each transition's episode end (none / terminated / truncated).
  public var ends = ColumnCodec.none
  /// Monte-Carlo returns, encoded once every episode in the chunk has ended.
  public var returns = ColumnCodec.none

  /// The smallest footprint: every column filtered to suit it and zstd-compressed.
  public static let compact: ReplayCodecs = {
    var codecs = ReplayCodecs()
    codecs.observations = .observations
    codecs.frameIndex = .zstd(
      level: ColumnCodec.defaultLevel, filters: [.delta(.subtract), .bitpack])
    codecs.actions = .smallIntegers
    codecs.rewards = .floats
    codecs.costs = .floats
    codecs.ends = .smallIntegers
    codecs.returns = .floats
    return codecs
  }()

  enum CodingKeys: String, CodingKey {
    case observations
    case frameIndex = "frame_index"
    case actions, rewards, costs, ends, returns
  }
}

/// `replay.prioritized:` proportional prioritized replay (Schaul et al. 2016).
public struct PrioritizedConfig: Codable, Equatable, Sendable {
  public init() {}

  public var enabled = false
  /// Priority = (|TD error| + epsilon)^alpha.
  public var alpha = 0.6
  /// Importance-sampling exponent at the start, annealed linearly to `beta_final` at the end.
  public var beta = 0.4
  public var betaFinal = 1.0
  public var epsilon = 1e-6

  enum CodingKeys: String, CodingKey {
    case enabled, alpha, beta
    case betaFinal = "beta_final"
    case epsilon
  }
}

/// `offline:` train from a fixed dataset instead of interacting.
public struct OfflineConfig: Codable, Equatable, Sendable {
  public init() {}

  public enum Behaviour: String, Codable, CaseIterable, Sendable {
    /// Uniformly random actions.
    case random
  }
  public var enabled = false
  /// The policy that collects the dataset.
  public var behaviour = Behaviour.random
  /// Transitions collected into the dataset before training (when no `dataset` file is given).
  public var datasetSteps = 50_000
  /// A dataset written by `ranklab dataset collect` to train from instead of collecting one.
  public var dataset: String? = nil

  enum CodingKeys: String, CodingKey {
    case enabled, behaviour, dataset
    case datasetSteps = "dataset_steps"
  }
}

/// `eval:` greedy evaluation episodes on an environment of their own.
public struct EvalConfig: Codable, Equatable, Sendable {
  public init() {}

  public var every = 5_000
  public var episodes = 10
  /// Episodes of the final evaluation at the end of training (0: the same as `episodes`).
  public var finalEpisodes = 20
  /// Final-evaluation episodes recorded as `final-NN.rlep` (play them with `ranklab replay`).
  public var record = 1
  /// Steps between greedy episodes recorded during training as `step-NNNNNNNNN.rlep`, each an
  /// extra episode from a seed of its own that leaves the evaluation figures untouched (0: none).
  public var recordEvery = 0
  /// Where recorded episodes go: empty for `<run>/replays/`, or a directory such as `Replays`
  /// (file names then start with the run's name, variant and seed).
  public var recordDir = ""
  /// Evaluate (and record) on another environment than training, e.g. the blocked gridworld or
  /// a heavier pendulum: a whole `env:` section (null: the training environment).
  public var env: EnvConfig? = nil

  enum CodingKeys: String, CodingKey {
    case every, episodes, record, env
    case finalEpisodes = "final_episodes"
    case recordEvery = "record_every"
    case recordDir = "record_dir"
  }
}

/// `rank:` feature-rank measurement on a fixed probe batch of states.
public struct RankConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Steps between measurements (0: never).
  public var every = 1_000
  /// States in the probe batch, drawn once from the replay buffer and kept.
  public var probeSize = 512
  /// srank's δ.
  public var delta = 0.01
  /// Count singular values above threshold · σ_max.
  public var threshold = 1e-3
  /// Also measure the empirical NTK's velocity on the probe batch.
  public var ntkVelocity = false

  enum CodingKeys: String, CodingKey {
    case every, delta, threshold
    case probeSize = "probe_size"
    case ntkVelocity = "ntk_velocity"
  }
}

/// `checkpoint:` periodic checkpoints for resuming.
public struct CheckpointConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Steps between checkpoints (0: none).
  public var every = 10_000
  /// Checkpoints kept on disk.
  public var keep = 2
}

/// `log:` metrics output.
public struct LogConfig: Codable, Equatable, Sendable {
  public init() {}

  /// Steps between training-metric rows.
  public var every = 1_000
  /// Also write TensorBoard event files.
  public var tensorboard = true
}

extension EnvConfig {
  /// `base` with `--set env.KEY=VALUE` overrides applied and checked as a config's would be.
  public static func applying(_ overrides: [String], to base: EnvConfig) throws -> EnvConfig {
    var config = ExperimentConfig()
    config.env = base
    let text = try Yams.serialize(node: try NodeEncoder().encode(config), sortKeys: false)
    return try ConfigLoader.load(
      ExperimentConfig.self, text: text, file: "the policy's env", overrides: overrides
    ).config.env
  }
}

extension ExperimentConfig {
  /// Whether a run's config.yaml describes another experiment than the planned resolved YAML:
  /// compared as configs, so that a key added to ranklab since (written out now, absent then,
  /// so at its default) is no difference, and `seeds` (the list a run came from, not what it
  /// ran) never is. With `finished`, what only shapes a run's outputs while it runs (`log`,
  /// `checkpoint`, `eval.record_every`, `eval.record_dir`) is no difference either: a finished
  /// run is kept as it is. A file this ranklab cannot load differs.
  public static func differ(written: String, planned: String, finished: Bool = false) -> Bool {
    if written == planned { return false }
    guard
      var old = try? ConfigLoader.load(ExperimentConfig.self, text: written, file: "config.yaml")
        .config,
      let new = try? ConfigLoader.load(ExperimentConfig.self, text: planned, file: "config.yaml")
        .config
    else { return true }
    old.seeds = new.seeds
    if finished {
      old.log = new.log
      old.checkpoint = new.checkpoint
      old.eval.recordEvery = new.eval.recordEvery
      old.eval.recordDir = new.eval.recordDir
    }
    return old != new
  }
}
