extension EnvironmentCatalog {
  /// Gymnasium's classic-control environments.
  static let classicControlEntries: [EnvironmentEntry] = [
    EnvironmentEntry(id: "CartPole-v1", summary: "balance a pole on a moving cart (Gymnasium)") {
      CartPole(timeLimit: $0.timeLimit)
    },
    EnvironmentEntry(
      id: "MountainCar-v0", summary: "rock an under-powered car up a hill (Gymnasium)"
    ) {
      MountainCar(timeLimit: $0.timeLimit)
    },
    EnvironmentEntry(
      id: "MountainCarContinuous-v0", summary: "mountain car with a continuous force (Gymnasium)"
    ) { MountainCarContinuous(timeLimit: $0.timeLimit) },
    EnvironmentEntry(id: "Acrobot-v1", summary: "swing up a two-link pendulum (Gymnasium)") {
      Acrobot(timeLimit: $0.timeLimit)
    },
    EnvironmentEntry(id: "Pendulum-v1", summary: "swing up and hold a pendulum (Gymnasium)") {
      Pendulum(timeLimit: $0.timeLimit)
    },
  ]
}
