extension EnvironmentCatalog {
  /// ranklab's own continuous safe-exploration task (`PointNavigation`); `params` sets its
  /// hazards and dynamics, `map_seed` its hazard layout.
  static let pointNavigationEntries: [EnvironmentEntry] = [
    EnvironmentEntry(
      id: "point-nav/hazards",
      summary: "steer a 2-D point mass to a goal past hazard discs (a crash costs 1 and ends it)",
      parameters: PointNavigation.parameterDefaults
    ) {
      try PointNavigation(
        timeLimit: $0.timeLimit, parameters: $0.params ?? [:], layoutSeed: $0.mapSeed ?? 0)
    }
  ]
}
