/// `agent.distill:` policy distillation (algorithm `distill`): a student network
/// (`agent.network`, `hidden: []` for a linear one) learns to act as one or more teachers, the
/// finished runs of this repo named in `teachers`, from states the loop collects into the replay
/// buffer and labels with the teachers' outputs at every gradient step.
public struct DistillConfig: Codable, Equatable, Sendable {
  public init() {}

  /// What the student regresses onto (z: the student's outputs, q: the teacher's Q-values or,
  /// for a policy teacher such as discrete SAC, its action logits).
  public enum Loss: String, Codable, CaseIterable, Sendable {
    /// Rusu et al. 2016: KL(softmax(q / tau) ‖ softmax(z)), teacher values sharpened by `tau`.
    case kl
    /// Negative log-likelihood of the teacher's greedy action under softmax(z).
    case nll
    /// Mean squared error between z and q (the student learns the teacher's values).
    case mse
    /// Hinton et al. 2015: (1 − w) CE(argmax q, softmax(z)) + w T² KL(softmax(q / T) ‖
    /// softmax(z / T)), w = 1 − `hard_label_weight`, T = `temperature`.
    case kd
  }

  /// Where the states come from.
  public enum Data: String, Codable, CaseIterable, Sendable {
    /// The teachers' greedy rollouts (an ensemble acts on its average).
    case teacher
    /// DAgger (Ross et al. 2011): each step the teacher acts with probability β, else the
    /// student; β falls linearly from 1 to 0 over `dagger_fraction` of the run.
    case dagger
    /// A fixed dataset (`offline.enabled: true`; `offline.dataset` or a collected one).
    case offline
  }

  /// How several teachers' outputs are averaged into one target.
  public enum Ensemble: String, Codable, CaseIterable, Sendable {
    /// The mean of each teacher's softened distribution (kl, kd; nll takes its argmax).
    case probabilities
    /// The mean of the teachers' raw outputs, softened afterwards (mse always does this).
    case outputs
  }

  /// Run directories (or `policy.rlck` files) of finished runs; their observation and action
  /// spaces must be this run's environment's. `{seed}` in a path is the student's seed, so
  /// `teachers: ["runs/dqn-cartpole/{seed}"]` (quoted: `{` opens a mapping in YAML) with
  /// `--seeds 0,1,2` distils teacher s into student s in one command.
  public var teachers: [String] = []
  public var loss = Loss.kl
  /// Rusu's sharpening temperature for Q-value teachers under `loss: kl` (policy teachers are
  /// matched as they are: KL between the policies).
  public var tau = 0.01
  /// Hinton's softening temperature T under `loss: kd`.
  public var temperature = 2.0
  /// Weight of the hard-label term (the teacher's greedy action) under `loss: kd` (0: none).
  public var hardLabelWeight = 0.0
  public var data = Data.teacher
  /// ε-greedy noise on whichever policy collects the data, so the states cover some mistakes.
  public var explorationEps = 0.0
  /// DAgger's β reaches 0 after this fraction of the run.
  public var daggerFraction = 0.5
  public var ensemble = Ensemble.probabilities
  /// Self-distillation rounds: round k's student is round k+1's teacher (same architecture),
  /// each round a run directory of its own (`<experiment>/round-K/<seed>`).
  public var rounds = 1
  /// A policy the student's agreement is also measured against (`distill/agreement_reference`;
  /// the rounds set it to the original teacher). null: none.
  public var reference: String? = nil
  /// Multi-task distillation: each teacher is a task, played in the teacher's own environment
  /// (from its `policy.rlck`; `env` is not read), and labels the states of its task alone. The
  /// student sees the task's observation followed by a one-hot task id (`MultiTaskEnvironment`),
  /// so one network serves every task; the teachers must share one action space and one
  /// observation size. Evaluation is per task (`eval/task_K/return_mean`), as is `ranklab eval`
  /// (`--task K` for one). A task id in the input, not a head per task: the replay, evaluation,
  /// policy file and `ranklab eval` stay those of a single-task student (the task is part of the
  /// state) and every layer is shared; a linear student (`hidden: []`) can only add a per-task
  /// bias to each action from it (measured in README).
  public var multitask = false

  // In declaration order, which is the order `--help-config` prints.
  enum CodingKeys: String, CodingKey {
    case teachers, loss, tau, temperature
    case hardLabelWeight = "hard_label_weight"
    case data
    case explorationEps = "exploration_eps"
    case daggerFraction = "dagger_fraction"
    case ensemble, rounds, reference, multitask
  }
}

extension DistillConfig {
  /// Out-of-range values (`ExperimentConfig.validate`), by dotted path.
  func problems(offline: Bool) -> [(path: String, message: String)] {
    var problems: [(String, String)] = []
    func require(_ ok: Bool, _ key: String, _ message: String) {
      if !ok { problems.append(("agent.distill.\(key)", "'agent.distill.\(key)' \(message)")) }
    }
    require(
      !teachers.isEmpty, "teachers",
      "must name at least one teacher: a finished run's directory or its policy.rlck")
    require(tau > 0, "tau", "must be positive (it divides the teacher's Q-values)")
    require(temperature > 0, "temperature", "must be positive (it divides the logits)")
    require((0...1).contains(hardLabelWeight), "hard_label_weight", "must be within [0, 1]")
    require((0...1).contains(explorationEps), "exploration_eps", "must be within [0, 1]")
    require(
      daggerFraction > 0 && daggerFraction <= 1, "dagger_fraction", "must be within (0, 1]")
    require(rounds >= 1, "rounds", "must be at least 1")
    require(
      (data == .offline) == offline, "data",
      offline
        ? "must be offline when offline.enabled is true (the states come from the dataset)"
        : "offline needs offline.enabled: true (and offline.dataset for a saved dataset)")
    if multitask {
      require(
        teachers.count >= 2, "teachers",
        "must name a teacher per task (at least two) when multitask is true")
      require(
        data != .offline, "data",
        "must be teacher or dagger when multitask is true (the student collects in each teacher's environment)"
      )
      require(rounds == 1, "rounds", "must be 1 when multitask is true")
      require(reference == nil, "reference", "must be null when multitask is true")
    }
    return problems
  }
}

extension DistillConfig {
  /// The teachers and the reference with `{seed}` replaced by `seed`.
  public func forSeed(_ seed: Int) -> DistillConfig {
    var resolved = self
    let fill = { (path: String) in path.replacingOccurrences(of: "{seed}", with: "\(seed)") }
    resolved.teachers = teachers.map(fill)
    resolved.reference = reference.map(fill)
    return resolved
  }
}
