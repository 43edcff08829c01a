/// A gridworld: the agent moves between cells of a `GridMap` (0 up, 1 right, 2 down, 3 left,
/// 4 stay), bumping into walls and the edge, with optional action noise, lava that costs 1
/// (the safety signal) and a goal that ends the episode (or, in Fu et al.'s gridworld, only pays).
public struct Gridworld: Environment {
  public let map: GridMap
  public let observation: GridObservation
  /// Barriers are walls (the perturbed test environment of a two-route map).
  public let blocked: Bool
  public let actionNoise: Double
  public let featureCount: Int
  /// Seed of the fixed random features (random_features encoding).
  public let featureSeed: UInt64
  public let id: String

  /// The agent's cell (row-major index).
  public private(set) var position: Int
  var clock: EpisodeClock
  /// Encodings that do not depend on the agent: the static image planes, or the random
  /// feature table. Derived from the fields above; rebuilt on decode.
  private var table: [Float] = []
  private let goal: Int
  private let startDistance: Int

  public init(
    map: GridMap, id: String? = nil, observation: GridObservation = .onehot, blocked: Bool = false,
    actionNoise: Double? = nil, timeLimit: Int? = nil, featureCount: Int = 32,
    featureSeed: UInt64 = 0
  ) {
    self.map = map
    self.id = id ?? "gridworld/\(map.name)"
    self.observation = observation
    self.blocked = blocked
    self.actionNoise = actionNoise ?? map.actionNoise
    self.featureCount = featureCount
    self.featureSeed = featureSeed
    position = map.start
    clock = EpisodeClock(limit: timeLimit ?? map.timeLimit)
    goal = map.cells.firstIndex(of: .goal) ?? map.start
    startDistance = max(1, Self.distance(map.start, goal, columns: map.columns))
    table = makeTable()
  }

  public var timeLimit: Int? { clock.limit }
  public var observationsRepeat: Bool { true }
  /// Lava cells are the failures.
  public var hasFailureSignal: Bool { map.cells.contains(.lava) }
  public var actionSpace: Space { .discrete(map.actionCount) }
  public var observationSpace: Space {
    let n = observation.count(rows: map.rows, columns: map.columns, featureCount: featureCount)
    if observation == .randomFeatures {
      return .box(
        low: [Float](repeating: -.infinity, count: n), high: [Float](repeating: .infinity, count: n)
      )
    }
    return .box(low: [Float](repeating: 0, count: n), high: [Float](repeating: 1, count: n))
  }

  public mutating func reset(seed: UInt64?, into buffer: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    position = map.start
    encode(into: buffer)
  }

  public mutating func step(_ action: Action, into buffer: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .discrete(var move) = action, move >= 0, move < map.actionCount else {
      preconditionFailure("gridworld actions are integers in 0..<\(map.actionCount)")
    }
    if actionNoise > 0, clock.rng.nextDouble() < actionNoise {
      move = clock.rng.nextInt(below: map.actionCount)
    }
    let result = outcome(from: position, move: move)
    position = result.next
    encode(into: buffer)
    return Step(
      reward: result.reward, cost: result.cost, end: clock.tick(terminated: result.terminated))
  }

  /// Where a move (after noise) from `cell` leads and what it pays: the deterministic part of a
  /// step, shared by `step` and the exact model (`transitions`).
  @inline(__always) func outcome(from cell: Int, move: Int) -> (
    next: Int, reward: Double, cost: Double, terminated: Bool
  ) {
    var next = destination(of: move, from: cell)
    var reward = map.stepReward
    var cost = 0.0
    var terminated = false
    switch map.cells[next] {
    case .goal:
      reward = map.goalReward
      terminated = map.goalEndsEpisode
    case .lava:
      reward = map.lavaReward
      cost = 1
      if map.lava == .terminate { terminated = true } else { next = map.start }
    default: break
    }
    if map.denseReward {
      let paidCell = map.rewardForCellLeft ? cell : next
      let d = Double(Self.distance(paidCell, goal, columns: map.columns))
      reward = max(0, 1 - d / Double(startDistance))
    }
    return (next, reward, cost, terminated)
  }

  @inline(__always) private func destination(of move: Int, from cell: Int) -> Int {
    let columns = map.columns
    var (row, column) = (cell / columns, cell % columns)
    switch move {
    case 0: row -= 1
    case 1: column += 1
    case 2: row += 1
    case 3: column -= 1
    default: return cell
    }
    guard row >= 0, row < map.rows, column >= 0, column < columns else { return cell }
    let next = row * columns + column
    let kind = map.cells[next]
    return kind == .wall || (blocked && kind == .barrier) ? cell : next
  }

  @inline(__always) private func encode(into buffer: UnsafeMutableBufferPointer<Float>) {
    encode(cell: position, into: buffer)
  }

  @inline(__always) private func encode(
    cell position: Int, into buffer: UnsafeMutableBufferPointer<Float>
  ) {
    let columns = map.columns
    switch observation {
    case .onehot:
      buffer.update(repeating: 0)
      buffer[position] = 1
    case .rowColOnehot:
      buffer.update(repeating: 0)
      buffer[position / columns] = 1
      buffer[map.rows + position % columns] = 1
    case .xy:
      buffer[0] = map.rows > 1 ? Float(position / columns) / Float(map.rows - 1) : 0
      buffer[1] = columns > 1 ? Float(position % columns) / Float(columns - 1) : 0
    case .image:
      let plane = map.rows * columns
      table.withUnsafeBufferPointer { staticPlanes in
        for i in 0..<3 * plane { buffer[i] = staticPlanes[i] }
      }
      for i in 3 * plane..<4 * plane { buffer[i] = 0 }
      buffer[3 * plane + position] = 1
    case .randomFeatures:
      let base = position * featureCount
      table.withUnsafeBufferPointer { features in
        for i in 0..<featureCount { buffer[i] = features[base + i] }
      }
    }
  }

  private func makeTable() -> [Float] {
    switch observation {
    case .image:
      let plane = map.rows * map.columns
      var planes = [Float](repeating: 0, count: 3 * plane)
      for (i, cell) in map.cells.enumerated() {
        if cell == .wall || (blocked && cell == .barrier) { planes[i] = 1 }
        if cell == .goal { planes[plane + i] = 1 }
        if cell == .lava { planes[2 * plane + i] = 1 }
      }
      return planes
    case .randomFeatures:
      // Unit-variance Gaussian features scaled by 1/sqrt(d), so their norm is about 1.
      var rng = PCG64(seed: featureSeed, stream: [0x6665_6174])
      let scale = 1 / Double(featureCount).squareRoot()
      return (0..<map.cells.count * featureCount).map { _ in Float(rng.nextGaussian() * scale) }
    default:
      return []
    }
  }

  static func distance(_ a: Int, _ b: Int, columns: Int) -> Int {
    abs(a / columns - b / columns) + abs(a % columns - b % columns)
  }

  // The derived table is not stored: it is rebuilt from the map and encoding on decode.
  private enum CodingKeys: String, CodingKey {
    case map, observation, blocked, actionNoise, featureCount, featureSeed, id, position, clock
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      map: try c.decode(GridMap.self, forKey: .map), id: try c.decode(String.self, forKey: .id),
      observation: try c.decode(GridObservation.self, forKey: .observation),
      blocked: try c.decode(Bool.self, forKey: .blocked),
      actionNoise: try c.decode(Double.self, forKey: .actionNoise),
      featureCount: try c.decode(Int.self, forKey: .featureCount),
      featureSeed: try c.decode(UInt64.self, forKey: .featureSeed))
    position = try c.decode(Int.self, forKey: .position)
    clock = try c.decode(EpisodeClock.self, forKey: .clock)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(map, forKey: .map)
    try c.encode(id, forKey: .id)
    try c.encode(observation, forKey: .observation)
    try c.encode(blocked, forKey: .blocked)
    try c.encode(actionNoise, forKey: .actionNoise)
    try c.encode(featureCount, forKey: .featureCount)
    try c.encode(featureSeed, forKey: .featureSeed)
    try c.encode(position, forKey: .position)
    try c.encode(clock, forKey: .clock)
  }
}

extension Gridworld: TabularEnvironment {
  public var stateCount: Int { map.cells.count }
  public var initialState: Int { map.start }

  public func observation(ofState state: Int, into buffer: UnsafeMutableBufferPointer<Float>) {
    encode(cell: state, into: buffer)
  }

  /// The chosen move with probability 1 − noise + noise/A, each move with noise/A (a random
  /// action replaces the chosen one with probability `actionNoise`, drawn uniformly from all A).
  public func transitions(fromState state: Int, action: Int) -> [TabularTransition] {
    let moves = map.actionCount
    let noise = actionNoise
    var result: [TabularTransition] = []
    for move in 0..<moves {
      let probability = (move == action ? 1 - noise : 0) + noise / Double(moves)
      guard probability > 0 else { continue }
      let o = outcome(from: state, move: move)
      if let i = result.firstIndex(where: {
        $0.next == o.next && $0.reward == o.reward && $0.terminal == o.terminated
      }) {
        result[i].probability += probability
      } else {
        result.append(
          TabularTransition(
            next: o.next, probability: probability, reward: o.reward, terminal: o.terminated))
      }
    }
    return result
  }
}
