import Environments
import Foundation

/// Text pictures of a recorded episode for the terminal player: the gridworld map with the agent
/// and its path, or bars of a classic-control environment's physical state.
public enum EpisodeText {
  /// The picture after `t` steps (0: right after the reset), with a status line.
  public static func frame(_ episode: Episode, _ simulation: EpisodeSimulation, step t: Int)
    -> String
  {
    var lines: [String] = []
    switch simulation.frames {
    case .grid(let map, let blocked, let positions):
      let visited = Set(positions.prefix(t + 1))
      let here = positions[min(t, positions.count - 1)]
      for r in 0..<map.rows {
        var line = ""
        for c in 0..<map.columns {
          let cell = r * map.columns + c
          if cell == here {
            line += "@"
            continue
          }
          switch map.cells[cell] {
          case .wall: line += "#"
          case .goal: line += "G"
          case .lava: line += "L"
          case .start: line += "S"
          case .barrier: line += blocked ? "#" : "B"
          case .floor: line += visited.contains(cell) ? "·" : " "
          }
        }
        lines.append(line)
      }
    case .physical(let names, let states):
      let state = states[min(t, states.count - 1)]
      if episode.header.environmentID == "CartPole-v1" { lines += cartPole(state) }
      for (name, value) in zip(names, state) {
        lines.append(
          name.padding(toLength: 10, withPad: " ", startingAt: 0)
            + bar(value, scale: barScale(name)) + String(format: " %+.4f", value))
      }
    case .observations:
      let observation = episode.observation(t)
      for (i, value) in observation.prefix(16).enumerated() {
        lines.append(
          "obs[\(i)]".padding(toLength: 10, withPad: " ", startingAt: 0)
            + bar(Double(value), scale: 1) + String(format: " %+.4f", value))
      }
    }
    lines.append(status(episode, step: t))
    return lines.joined(separator: "\n")
  }

  /// One line: the step, the last action and reward, the return so far, the agent's Q-values.
  public static func status(_ episode: Episode, step t: Int) -> String {
    let total = episode.rewards.prefix(t).reduce(0, +)
    var line = "step \(t)/\(episode.stepCount)  return \(String(format: "%.2f", total))"
    if t > 0 {
      line +=
        "  action \(describe(episode.action(t - 1)))  reward \(String(format: "%.3f", episode.rewards[t - 1]))"
      if episode.costs[t - 1] > 0 {
        line += "  COST \(String(format: "%.0f", episode.costs[t - 1]))"
      }
      if let q = episode.extra("q_values", at: t - 1) {
        line += "  Q [" + q.map { String(format: "%.2f", $0) }.joined(separator: " ") + "]"
      }
      if episode.ends[t - 1].isEnd {
        line += "  (\(episode.ends[t - 1] == .terminated ? "terminated" : "truncated"))"
      }
    }
    return line
  }

  static func describe(_ action: Action) -> String {
    switch action {
    case .discrete(let index): return "\(index)"
    case .continuous(let values):
      return "[" + values.map { String(format: "%.2f", $0) }.joined(separator: " ") + "]"
    }
  }

  static func cartPole(_ s: [Double]) -> [String] {
    let width = 49
    let column = Int(((s[0] + 2.4) / 4.8 * Double(width - 1)).rounded())
    let lean = Int((sin(s[2]) * 6).rounded())
    var pole = [Character](repeating: " ", count: width + 8)
    pole[max(0, min(pole.count - 1, column + lean))] = "o"
    var cart = [Character](repeating: "-", count: width)
    cart[max(0, min(width - 1, column))] = "#"
    return [String(pole), String(cart)]
  }

  static func barScale(_ name: String) -> Double {
    switch name {
    case "x": return 2.4
    case "theta": return 0.21
    case "position": return 1.2
    case "velocity": return 0.07
    case "theta1", "theta2": return .pi
    default: return 8
    }
  }

  static func bar(_ value: Double, scale: Double) -> String {
    let half = 15
    let n = Int((max(-1, min(1, value / scale)) * Double(half)).rounded())
    var cells = [Character](repeating: " ", count: 2 * half + 1)
    cells[half] = "|"
    if n > 0 { for i in 1...n { cells[half + i] = "=" } }
    if n < 0 { for i in 1...(-n) { cells[half - i] = "=" } }
    return "[" + String(cells) + "]"
  }
}
