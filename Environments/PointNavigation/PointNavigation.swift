import Foundation

/// A 2-D point mass that must reach a goal past hazard discs: ranklab's continuous
/// safe-exploration task (`point-nav/hazards`; the layout legend is `README.md` beside this file).
///
/// - Arena [−1, 1]²; the walls stop the mass (the velocity across a wall is zeroed).
/// - Start (−0.8, 0) with ±0.05 uniform jitter per reset; goal (0.8, 0), radius `goal_radius`.
/// - Hazards: `hazards` discs of radius `hazard_radius`, their centres drawn once from
///   `map_seed` (the first near the straight line from start to goal, so the short way is
///   unsafe); the layout is fixed for the environment's life.
/// - Action a ∈ [−1, 1]² (a force): v ← `damping` · v + `max_force` · dt · a, p ← p + dt · v,
///   dt = 0.1.
/// - Reward: 10 × the decrease of the distance to the goal, plus 1 on reaching it (terminates).
/// - Failure: the step that ends inside a hazard costs 1 and terminates the episode (a crash);
///   the reward does not punish it: the cost is the only failure signal.
/// - Observation: position, velocity, then each hazard centre relative to the position.
public struct PointNavigation: Environment {
  public static let parameterDefaults: [(name: String, value: Double)] = [
    ("hazards", 3), ("hazard_radius", 0.15), ("goal_radius", 0.1), ("max_force", 2.0),
    ("damping", 0.75),
  ]
  static let dt = 0.1
  static let start = (x: -0.8, y: 0.0)
  static let goal = (x: 0.8, y: 0.0)
  static let startJitter = 0.05
  static let progressScale = 10.0

  public let hazardRadius: Double
  public let goalRadius: Double
  public let maxForce: Double
  public let damping: Double
  public let layoutSeed: UInt64
  /// Hazard centres, x then y per hazard.
  public let hazardCentres: [Double]

  public var x = 0.0, y = 0.0, vx = 0.0, vy = 0.0
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil, parameters: [String: Double] = [:], layoutSeed: UInt64 = 0)
    throws
  {
    let values = try PhysicalParameters.resolve(
      parameters, defaults: Self.parameterDefaults, environment: "point-nav/hazards")
    let count = values["hazards"]!
    guard count == count.rounded(), count <= 16 else {
      throw EnvironmentError.invalidOption(
        "point-nav/hazards parameter 'hazards' must be a whole number from 1 to 16, got \(count)")
    }
    guard values["damping"]! < 1 else {
      throw EnvironmentError.invalidOption(
        "point-nav/hazards parameter 'damping' must be below 1 (1 keeps the speed forever)")
    }
    hazardRadius = values["hazard_radius"]!
    goalRadius = values["goal_radius"]!
    maxForce = values["max_force"]!
    damping = values["damping"]!
    self.layoutSeed = layoutSeed
    hazardCentres = Self.layout(
      count: Int(count), radius: hazardRadius, goalRadius: goalRadius, seed: layoutSeed)
    clock = EpisodeClock(limit: timeLimit ?? 100)
  }

  /// Hazard centres from the layout seed: x in [−0.45, 0.45]; the first with |y| ≤ 0.05 (on the
  /// straight route), the rest with |y| ≤ 0.45; none covering the start or the goal disc.
  static func layout(count: Int, radius: Double, goalRadius: Double, seed: UInt64) -> [Double] {
    var rng = PCG64(seed: seed)
    var centres: [Double] = []
    for k in 0..<count {
      let yRange = k == 0 ? 0.05 : 0.45
      var cx = 0.0
      var cy = 0.0
      // A few draws at most: the admissible region is most of the box.
      for _ in 0..<100 {
        cx = rng.uniform(-0.45, 0.45)
        cy = rng.uniform(-yRange, yRange)
        let clearOfStart = hypot(cx - start.x, cy - start.y) > radius + startJitter * 2
        let clearOfGoal = hypot(cx - goal.x, cy - goal.y) > radius + goalRadius
        if clearOfStart && clearOfGoal { break }
      }
      centres += [cx, cy]
    }
    return centres
  }

  public var id: String { "point-nav/hazards" }
  public var hazardCount: Int { hazardCentres.count / 2 }
  public var timeLimit: Int? { clock.limit }
  public var hasFailureSignal: Bool { true }
  public var actionSpace: Space { .box(low: [-1, -1], high: [1, 1]) }
  public var observationSpace: Space {
    let speed = Float(maxForce * Self.dt / (1 - damping))
    let high: [Float] =
      [1, 1, speed, speed] + [Float](repeating: 2, count: 2 * hazardCount)
    return .box(low: high.map { -$0 }, high: high)
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    x = Self.start.x + clock.rng.uniform(-Self.startJitter, Self.startJitter)
    y = Self.start.y + clock.rng.uniform(-Self.startJitter, Self.startJitter)
    vx = 0
    vy = 0
    writeObservation(observation)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .continuous(let force) = action, force.count == 2 else {
      preconditionFailure("point-nav takes a continuous 2-D action")
    }
    let before = hypot(x - Self.goal.x, y - Self.goal.y)
    let ax = min(max(Double(force[0]), -1), 1)
    let ay = min(max(Double(force[1]), -1), 1)
    vx = damping * vx + maxForce * Self.dt * ax
    vy = damping * vy + maxForce * Self.dt * ay
    x += Self.dt * vx
    y += Self.dt * vy
    if abs(x) > 1 {
      x = min(max(x, -1), 1)
      vx = 0
    }
    if abs(y) > 1 {
      y = min(max(y, -1), 1)
      vy = 0
    }
    writeObservation(observation)
    let after = hypot(x - Self.goal.x, y - Self.goal.y)
    var reward = Self.progressScale * (before - after)
    let reached = after <= goalRadius
    if reached { reward += 1 }
    let failed = insideHazard(x, y)
    return Step(
      reward: reward, cost: failed ? 1 : 0, end: clock.tick(terminated: reached || failed))
  }

  /// Whether (px, py) lies in a hazard disc.
  public func insideHazard(_ px: Double, _ py: Double) -> Bool {
    for k in 0..<hazardCount
    where hypot(px - hazardCentres[2 * k], py - hazardCentres[2 * k + 1]) <= hazardRadius {
      return true
    }
    return false
  }

  @inline(__always) private func writeObservation(_ o: UnsafeMutableBufferPointer<Float>) {
    o[0] = Float(x)
    o[1] = Float(y)
    o[2] = Float(vx)
    o[3] = Float(vy)
    for k in 0..<hazardCount {
      o[4 + 2 * k] = Float(hazardCentres[2 * k] - x)
      o[5 + 2 * k] = Float(hazardCentres[2 * k + 1] - y)
    }
  }
}
