/// `safety:` safe exploration on SAC (Bharadhwaj et al. 2021, Conservative Safety Critics; the
/// update is written out in `Agents/ConservativeSafetyCritic.swift`, acting, and
/// `Agents/SafetyCritic.swift`, learning). The environment's failure signal is `Step.cost`
/// (lava, a hazard, an `env.safety` region).
public struct SafetyConfig: Codable, Equatable, Sendable {
  public init() {}

  public enum Method: String, Codable, CaseIterable, Sendable {
    /// Plain SAC: the costs are logged, never learned from.
    case none
    /// The baseline: SAC on r − λ c, λ the Lagrange multiplier learned from the episodes'
    /// costs; no safety critic, no filtering of actions.
    case lagrangian
    /// Conservative safety critic: Q_C by TD on the cost with the reversed-CQL term, actions
    /// drawn by rejection sampling against ε = (1 − γ)(χ − V_C), and the actor penalised by
    /// λ · Q_C or its excess over ε (`policy_penalty`) with the same multiplier.
    case csc
  }

  /// Where CSC reads V_C, the current expected failures, for ε and for the multiplier.
  public enum FailureEstimate: String, Codable, CaseIterable, Sendable {
    /// The running mean of the summed costs of the training episodes begun after the warm-up
    /// (what the filtered policy actually does); the multiplier ascends on each episode's cost.
    case episodes
    /// The critic's Q_C(s₀, a ~ π) at training episodes' first states (π unfiltered); the
    /// multiplier ascends on it.
    case critic
  }

  /// What the multiplier's ascent compares with χ.
  public enum MultiplierSource: String, Codable, CaseIterable, Sendable {
    /// Each training episode's summed cost (the filtered policy's failures), or with
    /// `failure_estimate: critic` the critic's V_C.
    case episodeCost = "episode_cost"
    /// The critic's estimate of the unfiltered policy's own failures on the states it learns
    /// from: the mean of E_{a~π} Q_C(s, a) over the minibatches since the last episode, times
    /// (1 − γ_C) T for an episode of T steps (Q_C ≈ h / (1 − γ_C) for a per-step chance h).
    /// The filtered episodes fail little by design, so their cost lets λ fall to 0 while π's own
    /// draws stay unsafe; this keeps λ up until π itself proposes actions the critic accepts
    /// (`csc` only: `lagrangian` has no critic and reads the episode cost whatever this says,
    /// so one config serves all three methods).
    case policyCritic = "policy_critic"
    /// As `policy_critic`, with Q_C's excess over ε, max(0, Q_C − ε), in place of Q_C: the
    /// failures the filter would have to stop. E_π Q_C falls only slowly on safe states
    /// (measured on point-nav: 0.032 at 2k steps, 0.010 at 15k, 0.0026 at 40k), so
    /// `policy_critic` read about 0.5 failures on every 100-step episode at 15k, above χ = 0.1,
    /// and λ climbed for the whole run (55 at 15k steps, 76 at 40k); the excess is 0 wherever
    /// π's draws pass.
    case policyExcess = "policy_excess"
  }

  /// What the actor's penalty λ · f(Q_C) charges for (`csc`).
  public enum PolicyPenalty: String, Codable, CaseIterable, Sendable {
    /// f = Q_C(s, a): every bit of failure chance, safe actions included.
    case value
    /// f = max(0, Q_C(s, a) − ε): only what the filter would reject. An action the critic
    /// already accepts costs nothing, so a strong λ pulls π's proposals under the threshold
    /// without making it shy of states the critic judges safe.
    case excess
  }

  /// How Q_C = σ(z) is fitted to its TD target y ∈ [0, 1].
  public enum CriticLoss: String, Codable, CaseIterable, Sendable {
    /// ½ (Q_C − y)²: its gradient in z carries σ′ = Q_C (1 − Q_C), which vanishes where Q_C is
    /// near 0, so a rare failure moves a critic that believes a state safe only slowly.
    case squared
    /// −y log Q_C − (1 − y) log(1 − Q_C): the gradient in z is Q_C − y, as large for a rare
    /// failure as the error is.
    case crossEntropy = "cross_entropy"
  }

  public var method = Method.none
  /// Q_C gradient steps on the warm-up's transitions when learning starts, before the filter
  /// first acts (0: none, the paper's way). The warm-up's random steps hold failures; without
  /// it the filter acts on a critic one step old and the first learnt episodes fail as the
  /// warm-up's did.
  public var criticPretrainSteps = 0
  public var criticLoss = CriticLoss.squared
  public var policyPenalty = PolicyPenalty.value
  public var failureEstimate = FailureEstimate.episodes
  public var multiplierFrom = MultiplierSource.episodeCost
  /// χ: the allowed failure rate, the expected failures per episode the constraint admits,
  /// within (0, 1).
  public var chi = 0.1
  /// Weight of the reversed-CQL term E_D[Q_C(s, a)] − E_π[Q_C(s, a)] added to Q_C's TD loss
  /// (0: the non-conservative safety critic, a baseline).
  public var alpha = 0.5
  /// γ_C, the safety critic's discount: Q_C is the chance of a failure within roughly
  /// 1 / (1 − γ_C) steps, and ε = (1 − γ_C)(χ − V_C).
  public var gamma = 0.5
  /// Policy samples drawn per action before taking the one with the least Q_C.
  public var maxSamples = 100
  /// Step size of the multiplier's projected ascent λ ← max(0, λ + lr (F − χ)) after each
  /// training episode begun after the warm-up; 0 holds λ at `initial_multiplier`.
  public var multiplierLearningRate = 0.05
  /// λ at the start of training.
  public var initialMultiplier = 0.0
  /// Smoothing w of V_C's running mean: V_C ← (1 − w) V_C + w F per training episode, F its
  /// summed cost or the critic's Q_C(s₀, a ~ π) (`failure_estimate`).
  public var valueSmoothing = 0.05

  enum CodingKeys: String, CodingKey {
    case method, chi, alpha, gamma
    case failureEstimate = "failure_estimate"
    case multiplierFrom = "multiplier_from"
    case policyPenalty = "policy_penalty"
    case criticLoss = "critic_loss"
    case criticPretrainSteps = "critic_pretrain_steps"
    case maxSamples = "max_samples"
    case multiplierLearningRate = "multiplier_learning_rate"
    case initialMultiplier = "initial_multiplier"
    case valueSmoothing = "value_smoothing"
  }

  /// One-line problems by key, for `ExperimentConfig.validate`.
  func problems(algorithm: AgentConfig.Algorithm, nStep: Int, smerl: SMERLConfig.Mode) -> [(
    path: String, message: String
  )] {
    guard method != .none else { return [] }
    var problems: [(String, String)] = []
    func require(_ ok: Bool, _ key: String, _ message: String) {
      if !ok { problems.append(("safety.\(key)", "'safety.\(key)' \(message)")) }
    }
    require(
      algorithm == .sac, "method",
      "'\(method.rawValue)' stands on SAC; set agent.algorithm: sac (or safety.method: none)")
    require(smerl == .none, "method", "does not combine with smerl.mode; set one of them to none")
    require(
      chi > 0 && chi < 1, "chi", "must be within (0, 1) (the allowed failure rate), got \(chi)")
    require(gamma > 0 && gamma < 1, "gamma", "must be within (0, 1), got \(gamma)")
    require(alpha >= 0, "alpha", "must be non-negative (0: the non-conservative critic)")
    require(maxSamples >= 1, "max_samples", "must be at least 1")
    require(criticPretrainSteps >= 0, "critic_pretrain_steps", "must be non-negative")
    require(
      multiplierLearningRate >= 0, "multiplier_learning_rate",
      "must be non-negative (0 holds λ at initial_multiplier)")
    require(initialMultiplier >= 0, "initial_multiplier", "must be non-negative")
    require(valueSmoothing > 0 && valueSmoothing <= 1, "value_smoothing", "must be within (0, 1]")
    if nStep != 1 {
      problems.append(
        (
          "replay.n_step",
          "'replay.n_step' must be 1 with safety.method \(method.rawValue): n-step sampling keeps the first step's cost only, so the cost would not be summed over the same n steps as the reward"
        ))
    }
    return problems
  }
}
