/// `safety:` safe exploration on SAC (Bharadhwaj et al. 2021, Conservative Safety Critics; the
/// update is written out in `Agents/ConservativeSafetyCritic.swift`). The environment's failure
/// signal is `Step.cost` (lava, a hazard, an `env.safety` region).
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
    /// λ · Q_C with the same multiplier.
    case csc
  }

  public var method = Method.none
  /// χ: the allowed failure rate, the expected failures per episode the constraint admits,
  /// within (0, 1).
  public var chi = 0.1
  /// Weight of the reversed-CQL term E_D[Q_C(s, a)] − E_π[Q_C(s, a)] added to Q_C's TD loss
  /// (0: the non-conservative safety critic, a baseline).
  public var alpha = 0.5
  /// Policy samples drawn per action before taking the one with the least Q_C.
  public var maxSamples = 100
  /// Step size of the multiplier's projected ascent λ ← max(0, λ + lr (C_episode − χ)).
  public var multiplierLearningRate = 0.05
  /// λ at the start of training.
  public var initialMultiplier = 0.0
  /// Smoothing of V_C, the running estimate of the policy's expected failures from the start
  /// state: V_C ← (1 − w) V_C + w Q_C(s₀, a₀) at every training episode's first action.
  public var valueSmoothing = 0.05

  enum CodingKeys: String, CodingKey {
    case method, chi, alpha
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
    require(alpha >= 0, "alpha", "must be non-negative (0: the non-conservative critic)")
    require(maxSamples >= 1, "max_samples", "must be at least 1")
    require(multiplierLearningRate > 0, "multiplier_learning_rate", "must be positive")
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
