import Foundation

/// A gridworld layout parsed from an ASCII map (legend in `Environments/Maps/README.md`), with
/// the reward settings its header declares.
public struct GridMap: Codable, Sendable, Equatable {
  /// What a cell is.
  public enum Cell: UInt8, Codable, Sendable {
    case floor = 0
    case wall, start, goal, lava
    /// Floor normally, a wall when the environment is built `blocked` (SMERL's test-time change).
    case barrier
  }

  /// What entering lava does besides its reward and a cost of 1.
  public enum LavaEffect: String, Codable, Sendable {
    /// The episode terminates (a catastrophic failure).
    case terminate
    /// The agent is sent back to the start and the episode goes on (Gymnasium's CliffWalking).
    case restart
  }

  public var name: String
  public var rows: Int
  public var columns: Int
  /// Row-major cells.
  public var cells: [Cell]
  public var start: Int
  /// Settings from the header, with defaults.
  public var timeLimit = 100
  public var actionCount = 4
  public var actionNoise = 0.0
  public var stepReward = 0.0
  public var goalReward = 1.0
  public var lavaReward = -1.0
  public var lava = LavaEffect.terminate
  /// Fu et al.'s shaped reward instead of the sparse one: each step pays
  /// `max(0, 1 - L1(agent, goal) / L1(start, goal))`.
  public var denseReward = false
  /// Whether entering a goal ends the episode (the shipped maps); Fu et al.'s gridworld has a
  /// goal that only pays, so its episodes end at the time limit alone.
  public var goalEndsEpisode = true
  /// The dense reward is paid for the cell the agent acts from, not the one it reaches (Fu et
  /// al.'s `DistanceRewardGridEnv.reward(state, ...)`).
  public var rewardForCellLeft = false

  public init(name: String, rows: Int, columns: Int, cells: [Cell], start: Int) {
    self.name = name
    self.rows = rows
    self.columns = columns
    self.cells = cells
    self.start = start
  }

  public subscript(row: Int, column: Int) -> Cell { cells[row * columns + column] }

  static let legend: [Character: Cell] = [
    ".": .floor, " ": .floor, "#": .wall, "S": .start, "G": .goal, "L": .lava, "B": .barrier,
  ]

  /// Parses a map; `file` names the source in errors, which give its line and column.
  public static func parse(_ text: String, file: String, name: String? = nil) throws -> GridMap {
    func fail(_ line: Int, _ column: Int, _ message: String) -> GridMapError {
      GridMapError(file: file, line: line, column: column, message: message)
    }
    var header: [(line: Int, key: String, value: String)] = []
    var grid: [(line: Int, text: Substring)] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
      let number = index + 1
      if line.hasPrefix("//") || (grid.isEmpty && line.trimmingCharacters(in: .whitespaces).isEmpty)
      {
        continue
      }
      if grid.isEmpty, let colon = line.firstIndex(of: ":"), line.first?.isLetter == true,
        line.first?.isLowercase == true
      {
        let key = line[..<colon].trimmingCharacters(in: .whitespaces)
        header.append(
          (number, key, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        continue
      }
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      grid.append((number, line))
    }
    guard let first = grid.first else { throw fail(1, 1, "the map has no grid rows") }
    let columns = first.text.count
    var cells: [Cell] = []
    var starts: [Int] = []
    for (row, entry) in grid.enumerated() {
      guard entry.text.count == columns else {
        throw fail(
          entry.line, min(entry.text.count, columns) + 1,
          "row has \(entry.text.count) cells, the first row has \(columns)")
      }
      for (column, character) in entry.text.enumerated() {
        guard let cell = legend[character] else {
          throw fail(
            entry.line, column + 1,
            "unknown map character '\(character)' (legend: # wall, . floor, S start, G goal, L lava, B barrier)"
          )
        }
        if cell == .start { starts.append(row * columns + column) }
        cells.append(cell)
      }
    }
    guard starts.count == 1 else {
      throw fail(
        first.line, 1,
        starts.isEmpty
          ? "the map has no start cell 'S'"
          : "the map has \(starts.count) start cells; it needs exactly one")
    }
    guard cells.contains(.goal) else { throw fail(first.line, 1, "the map has no goal cell 'G'") }
    var map = GridMap(
      name: name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
      rows: grid.count, columns: columns, cells: cells, start: starts[0])
    for (line, key, value) in header {
      try map.apply(key: key, value: value) { fail(line, 1, $0) }
    }
    return map
  }

  private mutating func apply(key: String, value: String, fail: (String) -> GridMapError) throws {
    func number() throws -> Double {
      guard let v = Double(value) else { throw fail("'\(key)' must be a number, got '\(value)'") }
      return v
    }
    switch key {
    case "name": name = value
    case "time_limit":
      guard let v = Int(value), v > 0 else {
        throw fail("'time_limit' must be a positive integer, got '\(value)'")
      }
      timeLimit = v
    case "actions":
      guard value == "4" || value == "5" else {
        throw fail("'actions' must be 4 or 5 (5 adds 'stay'), got '\(value)'")
      }
      actionCount = Int(value) ?? 4
    case "action_noise":
      actionNoise = try number()
      guard (0...1).contains(actionNoise) else {
        throw fail("'action_noise' must be within [0, 1]")
      }
    case "step_reward": stepReward = try number()
    case "goal_reward": goalReward = try number()
    case "lava_reward": lavaReward = try number()
    case "lava":
      guard let effect = LavaEffect(rawValue: value) else {
        throw fail("'lava' must be 'terminate' or 'restart', got '\(value)'")
      }
      lava = effect
    case "reward":
      guard value == "sparse" || value == "dense" else {
        throw fail("'reward' must be 'sparse' or 'dense', got '\(value)'")
      }
      denseReward = value == "dense"
    case "description": break
    default:
      throw fail(
        "unknown header key '\(key)' (known: name, description, time_limit, actions, action_noise, step_reward, goal_reward, lava_reward, lava, reward)"
      )
    }
  }

  /// Cells reachable from the start by the four moves (barriers counted as open).
  public func reachable(blocked: Bool) -> Set<Int> {
    var seen: Set<Int> = [start]
    var frontier = [start]
    while let cell = frontier.popLast() {
      let (r, c) = (cell / columns, cell % columns)
      for (dr, dc) in [(-1, 0), (0, 1), (1, 0), (0, -1)] {
        let (nr, nc) = (r + dr, c + dc)
        guard nr >= 0, nr < rows, nc >= 0, nc < columns else { continue }
        let next = nr * columns + nc
        let cell = cells[next]
        if cell == .wall || (blocked && cell == .barrier) || seen.contains(next) { continue }
        seen.insert(next)
        frontier.append(next)
      }
    }
    return seen
  }
}

/// A malformed map, located by file, line and column.
public struct GridMapError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  public var message: String

  public var description: String { "\(file):\(line):\(column): \(message)" }
}
