extension EnvironmentCatalog {
  /// Gymnasium's classic-control environments; `params` sets their physical parameters by
  /// Gymnasium's attribute names (each environment's `parameterDefaults`).
  static let classicControlEntries: [EnvironmentEntry] = [
    EnvironmentEntry(
      id: "CartPole-v1", summary: "balance a pole on a moving cart (Gymnasium)",
      parameters: CartPole.parameterDefaults
    ) {
      var cartPole = try CartPole(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
      cartPole.safety = try safetyRegion($0, "CartPole-v1", allowed: \.xLimit)
      return cartPole
    },
    EnvironmentEntry(
      id: "MountainCar-v0", summary: "rock an under-powered car up a hill (Gymnasium)",
      parameters: MountainCar.parameterDefaults
    ) {
      try MountainCar(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
    },
    EnvironmentEntry(
      id: "MountainCarContinuous-v0", summary: "mountain car with a continuous force (Gymnasium)",
      parameters: MountainCarContinuous.parameterDefaults
    ) { try MountainCarContinuous(timeLimit: $0.timeLimit, parameters: $0.params ?? [:]) },
    EnvironmentEntry(
      id: "Acrobot-v1", summary: "swing up a two-link pendulum (Gymnasium)",
      parameters: Acrobot.parameterDefaults
    ) {
      try Acrobot(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
    },
    EnvironmentEntry(
      id: "Pendulum-v1", summary: "swing up and hold a pendulum (Gymnasium)",
      parameters: Pendulum.parameterDefaults
    ) {
      var pendulum = try Pendulum(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
      pendulum.safety = try safetyRegion($0, "Pendulum-v1", allowed: \.angleLow)
      return pendulum
    },
  ]

  /// The options' unsafe region, if it sets only what this environment reads (`allowed`); the
  /// other classic-control tasks take none.
  static func safetyRegion(
    _ options: EnvironmentOptions, _ id: String, allowed: KeyPath<SafetyRegion, Double?>
  ) throws -> SafetyRegion? {
    guard let region = options.safety else { return nil }
    let keys = allowed == \SafetyRegion.xLimit ? "x_limit" : "angle_low and angle_high"
    let setsOther =
      allowed == \SafetyRegion.xLimit
      ? region.angleLow != nil || region.angleHigh != nil : region.xLimit != nil
    if setsOther || region[keyPath: allowed] == nil {
      throw EnvironmentError.invalidOption(
        "env.safety on \(id) takes \(keys) only (CartPole-v1: x_limit; Pendulum-v1: angle_low and angle_high)"
      )
    }
    return region
  }
}
