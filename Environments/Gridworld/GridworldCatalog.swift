extension EnvironmentCatalog {
  /// Gridworlds from ASCII maps and the Fu et al. 2019 generator.
  static let gridworldEntries: [EnvironmentEntry] = []
}
