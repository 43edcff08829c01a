/// How a gridworld shows the agent its position.
public enum GridObservation: String, Codable, Sendable, CaseIterable {
  /// One-hot over all cells (rows × columns floats).
  case onehot
  /// One-hot row followed by one-hot column (rows + columns floats): Fu et al.'s default.
  case rowColOnehot = "rowcol_onehot"
  /// Row and column scaled to [0, 1] (2 floats).
  case xy
  /// Four planes of rows × columns, channel-major: walls, goals, lava, agent.
  case image
  /// A fixed random Gaussian feature vector per cell, drawn once from the map seed.
  case randomFeatures = "random_features"

  /// Floats per observation.
  func count(rows: Int, columns: Int, featureCount: Int) -> Int {
    switch self {
    case .onehot: return rows * columns
    case .rowColOnehot: return rows + columns
    case .xy: return 2
    case .image: return 4 * rows * columns
    case .randomFeatures: return featureCount
    }
  }
}
