extension EnvironmentCatalog {
  /// Gymnasium's classic-control environments.
  static let classicControlEntries: [EnvironmentEntry] = []
}
