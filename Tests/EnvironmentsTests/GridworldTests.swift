import Foundation
import Testing

@testable import Environments

@Suite struct GridworldTests {
  static let mapIDs = [
    "gridworld/open-room", "gridworld/four-rooms", "gridworld/cliff-walking", "gridworld/lava",
    "gridworld/two-routes", "gridworld/two-routes-blocked", "gridworld/two-routes-upper-blocked",
    "gridworld/fu",
  ]

  @Test(arguments: mapIDs)
  func shippedMapLoadsWithAReachableGoal(id: String) throws {
    let env = try #require(try EnvironmentCatalog.make(id: id) as? Gridworld)
    let goals = env.map.cells.indices.filter { env.map.cells[$0] == .goal }
    #expect(!goals.isEmpty)
    #expect(goals.contains { env.map.reachable(blocked: env.blocked).contains($0) })
  }

  @Test func twoRouteTestMapsWallOffDifferentRoutesOfOneTrainingMap() throws {
    let short = try #require(
      try EnvironmentCatalog.make(id: "gridworld/two-routes-blocked") as? Gridworld)
    let long = try #require(
      try EnvironmentCatalog.make(id: "gridworld/two-routes-upper-blocked") as? Gridworld)
    let open = try #require(try EnvironmentCatalog.make(id: "gridworld/two-routes") as? Gridworld)
    // Unblocked, the three are one environment: same cells open, same observation space.
    #expect(short.map.reachable(blocked: false) == long.map.reachable(blocked: false))
    #expect(short.observationSpace == open.observationSpace)
    #expect(long.observationSpace == open.observationSpace)
    // Blocked, each keeps the goal reachable, by a route the other walls off.
    let goal = try #require(open.map.cells.indices.first { open.map.cells[$0] == .goal })
    let viaShort = short.map.reachable(blocked: true)
    let viaLong = long.map.reachable(blocked: true)
    #expect(viaShort.contains(goal) && viaLong.contains(goal))
    let barrierOfShort = try #require(
      short.map.cells.indices.first { short.map.cells[$0] == .barrier })
    let barrierOfLong = try #require(
      long.map.cells.indices.first { long.map.cells[$0] == .barrier })
    #expect(viaShort.contains(barrierOfLong) && !viaShort.contains(barrierOfShort))
    #expect(viaLong.contains(barrierOfShort) && !viaLong.contains(barrierOfLong))
  }

  @Test func malformedMapsAreReportedWithLineAndColumn() {
    let cases: [(String, String)] = [
      ("time_limit: 10\n#####\n#S.G#\n#..#\n", "m.txt:4:5: row has 4 cells"),
      ("#####\n#S?G#\n#####\n", "m.txt:2:3: unknown map character '?'"),
      ("#####\n#..G#\n#####\n", "m.txt:1:1: the map has no start cell 'S'"),
      ("#####\n#S..#\n#####\n", "m.txt:1:1: the map has no goal cell 'G'"),
      ("time_limit: soon\n#SG#\n", "m.txt:1:1: 'time_limit' must be a positive integer"),
      ("colour: red\n#SG#\n", "m.txt:1:1: unknown header key 'colour'"),
    ]
    for (text, expected) in cases {
      #expect {
        _ = try GridMap.parse(text, file: "m.txt")
      } throws: { error in
        "\(error)".hasPrefix(expected)
      }
    }
  }

  func make(_ text: String, observation: GridObservation = .onehot, blocked: Bool = false) throws
    -> Gridworld
  {
    Gridworld(
      map: try GridMap.parse(text, file: "t.txt"), observation: observation, blocked: blocked)
  }

  @Test func wallsAndEdgesBlockAndTheGoalTerminates() throws {
    var env = try make("#####\n#S.G#\n#####\n")
    _ = env.reset(seed: 0)
    #expect(env.step(.discrete(0)).step == Step(reward: 0))  // wall above: stays
    #expect(env.position == env.map.start)
    _ = env.step(.discrete(1))
    let (_, last) = env.step(.discrete(1))
    #expect(last == Step(reward: 1, end: .terminated))
  }

  @Test func lavaCostsOneAndTerminatesOrRestarts() throws {
    var env = try make("#####\n#SLG#\n#####\n")
    _ = env.reset(seed: 0)
    #expect(env.step(.discrete(1)).step == Step(reward: -1, cost: 1, end: .terminated))
    var cliff = try make("lava: restart\nlava_reward: -100\n#####\n#SLG#\n#####\n")
    _ = cliff.reset(seed: 0)
    #expect(cliff.step(.discrete(1)).step == Step(reward: -100, cost: 1, end: .none))
    #expect(cliff.position == cliff.map.start)
  }

  @Test func barriersAreWallsOnlyWhenBlocked() throws {
    let text = "#####\n#SBG#\n#####\n"
    var open = try make(text)
    var blocked = try make(text, blocked: true)
    _ = open.reset(seed: 0)
    _ = blocked.reset(seed: 0)
    _ = open.step(.discrete(1))
    _ = blocked.step(.discrete(1))
    #expect(open.position == open.map.start + 1)
    #expect(blocked.position == blocked.map.start)
  }

  @Test func timeLimitTruncates() throws {
    var env = try make("time_limit: 3\n#####\n#S.G#\n#####\n")
    _ = env.reset(seed: 0)
    #expect(env.step(.discrete(3)).step.end == .none)
    #expect(env.step(.discrete(3)).step.end == .none)
    #expect(env.step(.discrete(3)).step.end == .truncated)
  }

  @Test func fuGeneratorIsDeterministicAndSolvable() {
    let a = GridMap.fu(size: 16, seed: 3)
    let b = GridMap.fu(size: 16, seed: 3)
    let c = GridMap.fu(size: 16, seed: 4)
    #expect(a == b)
    #expect(a.cells != c.cells)
    #expect(a.cells.filter { $0 == .wall }.count == 51)  // floor(0.2 * 256), as Fu's int()
    #expect(a.start == 8 * 16 + 8)
    let goal = a.cells.firstIndex(of: .goal)!
    #expect(a.reachable(blocked: false).contains(goal))
    #expect(a.actionCount == 5 && a.timeLimit == 50 && a.denseReward)
  }

  @Test func fuGoalIsFarAndTimeLimitsAreFus() {
    #expect(GridMap.fu(size: 64, seed: 0).timeLimit == 100)
    #expect(GridMap.fuTimeLimit(size: 16) == 50)
    for seed in UInt64(0)..<20 {
      let map = GridMap.fu(size: 16, seed: seed)
      let goal = map.cells.firstIndex(of: .goal)!
      func distance(_ cell: Int) -> Double {
        let (dr, dc) = (Double(cell / 16 - 8), Double(cell % 16 - 8))
        return (dr * dr + dc * dc).squareRoot()
      }
      let reachable = map.reachable(blocked: false)
      #expect(reachable.contains(goal) && goal != map.start)
      // The farthest of 64 drawn cells lies beyond nearly all reachable cells.
      let beyond = reachable.filter { distance($0) > distance(goal) }.count
      #expect(Double(beyond) < 0.1 * Double(reachable.count), "seed \(seed): \(beyond) farther")
    }
  }

  @Test func fuGoalPaysEveryStepAndOnlyTheTimeLimitEnds() throws {
    let map = GridMap.fu(size: 16, seed: 1)
    var env = Gridworld(map: map, observation: .rowColOnehot, actionNoise: 0)
    _ = env.reset(seed: 0)
    let goal = map.cells.firstIndex(of: .goal)!
    // Walk the shortest path (breadth-first over the four moves) and then stay.
    var parent: [Int: Int] = [map.start: map.start]
    var queue = [map.start]
    while !queue.isEmpty {
      let cell = queue.removeFirst()
      for move in 0..<4 {
        let next = env.outcome(from: cell, move: move).next
        if parent[next] == nil {
          parent[next] = cell
          queue.append(next)
        }
      }
    }
    var path = [goal]
    while path[0] != map.start { path.insert(parent[path[0]]!, at: 0) }
    var rewards: [Double] = []
    var ends: [EpisodeEnd] = []
    for t in 0..<map.timeLimit {
      let move =
        t + 1 < path.count
        ? (0..<4).first { env.outcome(from: path[t], move: $0).next == path[t + 1] }! : 4
      let step = env.step(.discrete(move)).step
      rewards.append(step.reward)
      ends.append(step.end)
    }
    #expect(rewards[0] == 0)  // paid for the start cell, distance ratio 1
    #expect(rewards[path.count - 1] == 1 && rewards.last == 1)  // on the goal, every step
    #expect(ends.dropLast().allSatisfy { $0 == .none } && ends.last == .truncated)
    #expect(env.position == goal)
  }

  @Test func exactModelMatchesStepsAndValueIterationSolvesACorridor() throws {
    var env = try make("#####\n#S.G#\n#####\n")
    _ = env.reset(seed: 0)
    #expect(env.reachableStates() == [6, 7])  // the goal is terminal: not a state to act from
    #expect(
      env.transitions(fromState: 7, action: 1) == [
        TabularTransition(next: 8, probability: 1, reward: 1, terminal: true)
      ])
    let q = env.optimalActionValues(gamma: 0.9)
    // From the start: right reaches the cell before the goal (0 + 0.9 · 1); up stays (0.9 · 0.9).
    #expect(abs(q[6 * 4 + 1] - 0.9) < 1e-9 && abs(q[6 * 4 + 0] - 0.81) < 1e-9)
    let noisy = Gridworld(map: GridMap.fu(size: 16, seed: 2))
    for state in noisy.reachableStates().prefix(20) {
      for action in 0..<5 {
        let total = noisy.transitions(fromState: state, action: action).map(\.probability)
          .reduce(0, +)
        #expect(abs(total - 1) < 1e-12)
      }
    }
  }

  @Test func softQStarSatisfiesTheSoftBellmanEquation() {
    let env = Gridworld(map: GridMap.fu(size: 8, seed: 3))
    let gamma = 0.95
    let tau = 0.1
    let q = env.optimalActionValues(gamma: gamma, entropyWeight: tau)
    let hard = env.optimalActionValues(gamma: gamma)
    func softValue(_ s: Int) -> Double {
      tau * log((0..<5).map { exp(q[s * 5 + $0] / tau) }.reduce(0, +))
    }
    var largestGap = 0.0
    for s in env.reachableStates() {
      for a in 0..<5 {
        let backup = env.transitions(fromState: s, action: a).map {
          $0.probability * ($0.reward + ($0.terminal ? 0 : gamma * softValue($0.next)))
        }.reduce(0, +)
        #expect(abs(backup - q[s * 5 + a]) < 1e-8)
        // Soft values exceed the hard ones, by at most γ τ log 5 / (1 − γ).
        #expect(q[s * 5 + a] >= hard[s * 5 + a] - 1e-9)
        #expect(q[s * 5 + a] <= hard[s * 5 + a] + gamma * tau * log(5) / (1 - gamma) + 1e-9)
        largestGap = max(largestGap, q[s * 5 + a] - hard[s * 5 + a])
      }
    }
    #expect(largestGap > 0.01)
  }

  @Test func fuDenseRewardFollowsDistance() throws {
    var env = try #require(
      try EnvironmentCatalog.make(id: "gridworld/fu", options: .init(actionNoise: 0)) as? Gridworld)
    _ = env.reset(seed: 0)
    let (_, step) = env.step(.discrete(4))  // stay at the start: distance ratio 1
    #expect(step.reward == 0)
  }

  @Test func actionNoiseReplacesAboutFivePercentOfActions() throws {
    var env = try #require(
      try EnvironmentCatalog.make(id: "gridworld/fu", options: .init(size: 16)) as? Gridworld)
    _ = env.reset(seed: 7)
    var moved = 0
    let trials = 20_000
    for _ in 0..<trials {
      let before = env.position
      _ = env.step(.discrete(4))  // "stay": any move comes from noise
      if env.position != before { moved += 1 }
      _ = env.reset(seed: nil)
    }
    // Noise draws one of 5 actions, 4 of which move (if not into a wall): about 5% * 4/5 = 4%
    // at most, fewer where walls block. Expect 1%..4.5%.
    let rate = Double(moved) / Double(trials)
    #expect(rate > 0.01 && rate < 0.045, "moved \(rate)")
  }

  @Test(arguments: GridObservation.allCases)
  func encodingsHaveTheirSizeAndMarkThePosition(encoding: GridObservation) throws {
    var env = try make("#####\n#S.G#\n#####\n", observation: encoding)
    let obs = env.reset(seed: 0)
    #expect(obs.count == env.observationSpace.flatCount)
    let moved = env.step(.discrete(1)).observation
    #expect(moved != obs)
    switch encoding {
    case .onehot:
      #expect(obs.count == 15 && obs[6] == 1 && obs.reduce(0, +) == 1)
    case .rowColOnehot:
      #expect(obs.count == 8 && obs[1] == 1 && obs[3 + 1] == 1 && obs.reduce(0, +) == 2)
    case .xy:
      #expect(obs == [0.5, 0.25])
    case .image:
      #expect(obs.count == 60 && obs[45 + 6] == 1 && obs[15 + 8] == 1)
    case .randomFeatures:
      #expect(obs.count == 32)
    }
  }

  @Test func codableRoundTripKeepsStateAndStream() throws {
    var env = try #require(
      try EnvironmentCatalog.make(id: "gridworld/fu", options: .init(observation: .randomFeatures))
        as? Gridworld)
    _ = env.reset(seed: 1)
    for a in [0, 1, 2] { _ = env.step(.discrete(a)) }
    var copy = try JSONDecoder().decode(Gridworld.self, from: JSONEncoder().encode(env))
    for a in [3, 1, 1, 2, 0, 4] {
      #expect(copy.step(.discrete(a)) == env.step(.discrete(a)))
    }
  }
}
