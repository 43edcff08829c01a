extension EnvironmentCatalog {
  /// Gymnasium's classic-control environments; `params` sets their physical parameters by
  /// Gymnasium's attribute names (each environment's `parameterDefaults`).
  static let classicControlEntries: [EnvironmentEntry] = [
    EnvironmentEntry(
      id: "CartPole-v1", summary: "balance a pole on a moving cart (Gymnasium)",
      parameters: CartPole.parameterDefaults
    ) {
      try CartPole(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
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
      try Pendulum(timeLimit: $0.timeLimit, parameters: $0.params ?? [:])
    },
  ]
}
