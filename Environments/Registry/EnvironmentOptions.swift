/// Options an experiment config may set on its environment (the `env:` section less its `id`):
/// the one definition of each option, its key and its checks. Each field is optional: nil means
/// the environment's own default, documented here.
public struct EnvironmentOptions: Codable, Sendable, Equatable {
  /// Overrides the registered time limit (steps before truncation).
  public var timeLimit: Int?
  /// Gridworlds: how the agent's position is shown (default onehot; `gridworld/fu` defaults to
  /// rowcol_onehot, Fu et al.'s choice).
  public var observation: GridObservation?
  /// `gridworld/fu`: side length (default 16).
  public var size: Int?
  /// `gridworld/fu`: fraction of cells that are walls (default 0.2).
  public var wallFraction: Double?
  /// Gridworlds: probability of a random action replacing the chosen one (map default; 0.05
  /// for `gridworld/fu`).
  public var actionNoise: Double?
  /// `gridworld/fu`: seed of the wall layout and goal, and of random features (default 0). A
  /// study sweeps it (`sweep: {env.map_seed: {label: map, values: [0, 1, 2, 3]}}`) for many maps.
  public var mapSeed: UInt64?
  /// Gridworlds with random_features: the feature dimension (default 32).
  public var featureCount: Int?
  /// `gridworld/file`: path of an ASCII map (legend in Environments/Maps/README.md).
  public var mapFile: String?
  /// Gridworlds: barriers (`B`) become walls: the perturbed test environment (default false).
  public var blocked: Bool?
  /// Classic control: physical parameters by Gymnasium's attribute names (CartPole `gravity,
  /// masscart, masspole, length, force_mag, tau`; Pendulum `g, m, l, max_speed, max_torque`;
  /// MountainCar `force, gravity`; MountainCarContinuous `power`; Acrobot `LINK_LENGTH_1/2,
  /// LINK_MASS_1/2, LINK_MOI`), derived quantities recomputed as Gymnasium's `__init__` does.
  public var params: [String: Double]?
  /// Classic control: an unsafe region of the state, a failure signal (`Step.cost` 1 on every
  /// step that ends inside it) that leaves reward and termination alone (`SafetyRegion`).
  public var safety: SafetyRegion?

  public init(
    timeLimit: Int? = nil, observation: GridObservation? = nil, size: Int? = nil,
    wallFraction: Double? = nil, actionNoise: Double? = nil, mapSeed: UInt64? = nil,
    featureCount: Int? = nil, mapFile: String? = nil, blocked: Bool? = nil,
    params: [String: Double]? = nil, safety: SafetyRegion? = nil
  ) {
    self.params = params
    self.safety = safety
    self.timeLimit = timeLimit
    self.observation = observation
    self.size = size
    self.wallFraction = wallFraction
    self.actionNoise = actionNoise
    self.mapSeed = mapSeed
    self.featureCount = featureCount
    self.mapFile = mapFile
    self.blocked = blocked
  }

  // The keys configs and episode headers use.
  enum CodingKeys: String, CodingKey {
    case observation, size, blocked, params, safety
    case timeLimit = "time_limit"
    case wallFraction = "wall_fraction"
    case actionNoise = "action_noise"
    case mapSeed = "map_seed"
    case featureCount = "feature_count"
    case mapFile = "map_file"
  }

  /// Out-of-range options, by key.
  public func problems() -> [(key: String, message: String)] {
    var problems: [(key: String, message: String)] = []
    if let size, size < 3 { problems.append(("size", "must be at least 3")) }
    if let actionNoise, !(0...1).contains(actionNoise) {
      problems.append(("action_noise", "must be within [0, 1]"))
    }
    if let wallFraction, !(wallFraction >= 0 && wallFraction < 1) {
      problems.append(("wall_fraction", "must be within [0, 1)"))
    }
    if let timeLimit, timeLimit < 1 { problems.append(("time_limit", "must be at least 1")) }
    if let safety { problems += safety.problems().map { ("safety.\($0.key)", $0.message) } }
    return problems
  }
}

/// `env.safety:` an unsafe region a user declares on a classic-control task, so it has a
/// failure signal: CartPole fails while |x| > `x_limit` (inside Gymnasium's 2.4, which still
/// terminates); Pendulum fails while its angle, normalised to [−π, π) with 0 upright, lies in
/// [`angle_low`, `angle_high`] radians. Entering the region costs 1 per step; reward and
/// termination stay Gymnasium's.
public struct SafetyRegion: Codable, Sendable, Equatable {
  /// CartPole: the largest safe |cart position|.
  public var xLimit: Double?
  /// Pendulum: the unsafe band of angles, both ends given together.
  public var angleLow: Double?
  public var angleHigh: Double?

  public init(xLimit: Double? = nil, angleLow: Double? = nil, angleHigh: Double? = nil) {
    self.xLimit = xLimit
    self.angleLow = angleLow
    self.angleHigh = angleHigh
  }

  enum CodingKeys: String, CodingKey {
    case xLimit = "x_limit"
    case angleLow = "angle_low"
    case angleHigh = "angle_high"
  }

  /// Whether the (normalised) pendulum angle lies in the unsafe band.
  @inline(__always) public func angleIsUnsafe(_ angle: Double) -> Bool {
    guard let angleLow, let angleHigh else { return false }
    return angle >= angleLow && angle <= angleHigh
  }

  /// Whether the cart is beyond the safe bound.
  @inline(__always) public func positionIsUnsafe(_ x: Double) -> Bool {
    guard let xLimit else { return false }
    return abs(x) > xLimit
  }

  func problems() -> [(key: String, message: String)] {
    var problems: [(key: String, message: String)] = []
    if let xLimit, !(xLimit.isFinite && xLimit > 0) {
      problems.append(("x_limit", "must be a positive finite number"))
    }
    if (angleLow == nil) != (angleHigh == nil) {
      problems.append(("angle_low", "and angle_high come together: set both or neither"))
    }
    if let angleLow, let angleHigh,
      !(angleLow >= -Double.pi && angleLow < angleHigh && angleHigh <= Double.pi)
    {
      problems.append(("angle_low", "must be below angle_high, both within [-pi, pi]"))
    }
    return problems
  }
}
