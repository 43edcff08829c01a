import Environments
import Foundation

/// Re-runs a recorded episode in a fresh environment built from its header: the seed and the
/// actions drive it, and every step is compared with what was recorded (`--verify`). The
/// rebuilt environment also yields what a player draws: gridworld positions, physical states.
public struct EpisodeSimulation {
  /// What the environment looked like after each step (index 0: after the reset).
  public enum Frames {
    case grid(map: GridMap, blocked: Bool, positions: [Int])
    case physical(names: [String], states: [[Double]])
    case observations
  }

  public var frames: Frames
  /// The first step whose re-simulation disagrees with the recording, described; nil if none.
  public var divergence: String?

  /// Rebuilds the environment and replays the episode's actions.
  public init(_ episode: Episode) throws {
    let header = episode.header
    let options = try JSONDecoder().decode(
      EnvironmentOptions.self, from: JSONEncoder().encode(header.environmentOptions))
    let environment = try EnvironmentCatalog.make(id: header.environmentID, options: options)
    (frames, divergence) = Self.replay(environment, episode)
  }

  private static func replay<E: Environment>(_ prototype: E, _ episode: Episode) -> (
    Frames, String?
  ) {
    var env = prototype
    var divergence: String?
    var positions: [Int] = []
    var states: [[Double]] = []
    func capture() {
      if let grid = env as? Gridworld { positions.append(grid.position) }
      if let physical = env as? any ClassicControlEnvironment {
        states.append(physical.physicalState)
      }
    }
    guard let seed = episode.header.seed else {
      return (.observations, "the file records no seed, so the episode cannot be re-simulated")
    }
    let first = env.reset(seed: seed)
    if let bad = mismatch(first, episode.observation(0)) {
      divergence = "reset observation[\(bad)] differs"
    }
    capture()
    for t in 0..<episode.stepCount where divergence == nil {
      let (observation, step) = env.step(episode.action(t))
      capture()
      if let bad = mismatch(observation, episode.observation(t + 1)) {
        divergence =
          "step \(t): observation[\(bad)] expected \(episode.observation(t + 1)[episode.observation(t + 1).startIndex + bad]), got \(observation[bad])"
      } else if step.reward != episode.rewards[t] {
        divergence = "step \(t): reward expected \(episode.rewards[t]), got \(step.reward)"
      } else if step.cost != episode.costs[t] {
        divergence = "step \(t): cost expected \(episode.costs[t]), got \(step.cost)"
      } else if step.end != episode.ends[t] {
        divergence = "step \(t): end expected \(episode.ends[t]), got \(step.end)"
      }
    }
    if let grid = prototype as? Gridworld {
      return (.grid(map: grid.map, blocked: grid.blocked, positions: positions), divergence)
    }
    if !states.isEmpty {
      let names = physicalNames[episode.header.environmentID] ?? states[0].indices.map { "s\($0)" }
      return (.physical(names: names, states: states), divergence)
    }
    return (.observations, divergence)
  }

  static let physicalNames: [String: [String]] = [
    "CartPole-v1": ["x", "x_dot", "theta", "theta_dot"],
    "MountainCar-v0": ["position", "velocity"],
    "MountainCarContinuous-v0": ["position", "velocity"],
    "Acrobot-v1": ["theta1", "theta2", "dtheta1", "dtheta2"],
    "Pendulum-v1": ["theta", "theta_dot"],
  ]

  private static func mismatch(_ a: [Float], _ b: ArraySlice<Float>) -> Int? {
    guard a.count == b.count else { return min(a.count, b.count) }
    for (i, (x, y)) in zip(a, b).enumerated() where x.bitPattern != y.bitPattern { return i }
    return nil
  }
}
