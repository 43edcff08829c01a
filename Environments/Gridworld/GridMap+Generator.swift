extension GridMap {
  /// The random gridworld of Fu, Kumar, Soh & Levine 2019 ("Diagnosing bottlenecks in deep
  /// Q-learning"): `size`×`size` cells, a `wallFraction` of them walls chosen by `seed`, the start
  /// at the centre, five actions (four moves and stay) with 5% action noise, the dense distance
  /// reward, and a time limit of 50 steps per 16 cells of side (50 for 16×16, 200 for 64×64).
  ///
  /// The goal is a uniformly drawn cell among those reachable from the start (so every generated
  /// map is solvable); reaching it ends the episode.
  public static func fu(size: Int, wallFraction: Double = 0.2, seed: UInt64) -> GridMap {
    precondition(size >= 3, "a Fu gridworld needs at least 3x3 cells")
    var rng = PCG64(seed: seed)
    let count = size * size
    let start = (size / 2) * size + size / 2
    var cells = [Cell](repeating: .floor, count: count)
    var candidates = Array(0..<count).filter { $0 != start }
    candidates.shuffle(using: &rng)
    let wallCount = min(candidates.count - 1, Int((wallFraction * Double(count)).rounded()))
    for cell in candidates.prefix(wallCount) { cells[cell] = .wall }
    cells[start] = .start
    var map = GridMap(
      name: "fu-\(size)x\(size)-seed\(seed)", rows: size, columns: size, cells: cells, start: start)
    let open = map.reachable(blocked: false).filter { $0 != start }.sorted()
    if open.isEmpty {
      // Walls closed the start in: open its right-hand neighbour so a goal exists.
      map.cells[start + 1] = .goal
    } else {
      map.cells[open[rng.nextInt(below: open.count)]] = .goal
    }
    map.timeLimit = max(1, 50 * size / 16)
    map.actionCount = 5
    map.actionNoise = 0.05
    map.denseReward = true
    map.stepReward = 0
    map.goalReward = 1
    return map
  }
}
