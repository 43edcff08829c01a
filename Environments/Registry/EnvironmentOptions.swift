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

  public init(
    timeLimit: Int? = nil, observation: GridObservation? = nil, size: Int? = nil,
    wallFraction: Double? = nil, actionNoise: Double? = nil, mapSeed: UInt64? = nil,
    featureCount: Int? = nil, mapFile: String? = nil, blocked: Bool? = nil,
    params: [String: Double]? = nil
  ) {
    self.params = params
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
    case observation, size, blocked, params
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
    return problems
  }
}
