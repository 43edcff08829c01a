extension GridMap {
  /// The random gridworld of Fu, Kumar, Soh & Levine 2019 ("Diagnosing bottlenecks in deep
  /// Q-learning"), as their code builds it (`justinjfu/diagnosing_qlearning`,
  /// `debugq/envs/env_suite.py`, `random_grid_env`, lines 13-49):
  /// - `size`×`size` cells, the start at the centre, `floor(wallFraction · size²)` walls drawn
  ///   from the other cells;
  /// - the goal: of `floor(0.25 · size²)` cells drawn from the remaining free ones, the one
  ///   farthest (Euclidean) from the start, the first drawn on a tie;
  /// - the goal does not end the episode: Fu's `DistanceRewardGridEnv` pays
  ///   `max(0, 1 − L1(s, goal) / L1(start, goal))` for the cell `s` the agent is in when it acts
  ///   (1 on the goal, every step it stays), and only the time limit ends an episode;
  /// - five actions (four moves and stay) with 5% action noise;
  /// - time limits 50 for 16×16 and 100 for 64×64 (`get_env`, lines 67-76); other sizes, which
  ///   Fu does not define, get `12.5·√size` rounded (the curve through both).
  ///
  /// One deviation: Fu's code does not check that the goal can be reached; here the farthest of
  /// the drawn candidates that is reachable from the start is the goal (the same cell whenever
  /// Fu's pick is reachable), so every map's optimal return is the full one.
  /// Draws come from `PCG64(seed:)` with explicit partial Fisher–Yates shuffles, so a map is a
  /// function of its seed alone (Python's `random.sample` is not reproduced).
  public static func fu(size: Int, wallFraction: Double = 0.2, seed: UInt64) -> GridMap {
    precondition(size >= 3, "a Fu gridworld needs at least 3x3 cells")
    var rng = PCG64(seed: seed)
    let count = size * size
    let start = (size / 2) * size + size / 2
    var cells = [Cell](repeating: .floor, count: count)
    var free = Array(0..<count).filter { $0 != start }
    let wallCount = min(free.count - 1, Int(wallFraction * Double(count)))
    let walls = drawWithoutReplacement(wallCount, from: &free, rng: &rng)
    for cell in walls { cells[cell] = .wall }
    cells[start] = .start
    var map = GridMap(
      name: "fu-\(size)x\(size)-seed\(seed)", rows: size, columns: size, cells: cells, start: start)
    let candidates = drawWithoutReplacement(
      max(1, min(free.count, count / 4)), from: &free, rng: &rng)
    let reachable = map.reachable(blocked: false)
    let (startRow, startColumn) = (Double(start / size), Double(start % size))
    func farthest(_ cells: [Int]) -> Int? {
      var best: Int?
      var bestDistance = -1.0
      for cell in cells where cell != start && reachable.contains(cell) {
        let (dr, dc) = (Double(cell / size) - startRow, Double(cell % size) - startColumn)
        let distance = (dr * dr + dc * dc).squareRoot()
        if distance > bestDistance { (best, bestDistance) = (cell, distance) }
      }
      return best
    }
    // No reachable candidate (walls closed most cells off): the farthest reachable cell; walls
    // all around the start: its right-hand neighbour, opened.
    let goal = farthest(candidates) ?? farthest(reachable.sorted()) ?? start + 1
    map.cells[goal] = .goal
    map.timeLimit = fuTimeLimit(size: size)
    map.actionCount = 5
    map.actionNoise = 0.05
    map.denseReward = true
    map.goalEndsEpisode = false
    map.rewardForCellLeft = true
    map.stepReward = 0
    map.goalReward = 1
    return map
  }

  /// Fu et al.'s time limits: 50 steps for 16×16 and 100 for 64×64; 12.5·√size otherwise.
  public static func fuTimeLimit(size: Int) -> Int {
    max(1, Int((12.5 * Double(size).squareRoot()).rounded()))
  }

  /// Removes `k` uniformly drawn elements from `pool` (a partial Fisher–Yates shuffle from the
  /// front) and returns them in draw order; the rest keep a deterministic order.
  static func drawWithoutReplacement(_ k: Int, from pool: inout [Int], rng: inout PCG64)
    -> [Int]
  {
    let k = min(k, pool.count)
    for i in 0..<k { pool.swapAt(i, i + rng.nextInt(below: pool.count - i)) }
    let drawn = Array(pool[..<k])
    pool.removeFirst(k)
    return drawn
  }
}
