import Foundation

/// MountainCarContinuous-v0: the mountain car with a continuous force in [-1, 1], reward 100 at
/// the goal minus 0.1·action² per step, limit 999, as Gymnasium 1.2.0.
///
/// Gymnasium stores this environment's state as float32 after each step, and NumPy 2 then does
/// the arithmetic and comparisons with Python floats in float32 (NEP 50). The step below
/// follows those precisions exactly, which is what keeps long episodes on Gymnasium's path.
public struct MountainCarContinuous: ClassicControlEnvironment {
  static let minPosition = -1.2
  static let maxPosition = 0.6
  static let maxSpeed = 0.07
  static let goalPosition = 0.45
  public private(set) var power = 0.0015

  public var position = 0.0, velocity = 0.0
  /// False right after a reset (Gymnasium's reset state is float64), true after any step.
  var stateIsFloat32 = false
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil) {
    clock = EpisodeClock(limit: timeLimit ?? 999)
  }

  /// Gymnasium's attribute names and defaults.
  public static let parameterDefaults: [(name: String, value: Double)] = [("power", 0.0015)]

  /// With physical parameters set as on Gymnasium's `env.unwrapped` before reset.
  public init(timeLimit: Int? = nil, parameters: [String: Double]) throws {
    self.init(timeLimit: timeLimit)
    power =
      try PhysicalParameters.resolve(
        parameters, defaults: Self.parameterDefaults, environment: id)["power"]!
  }

  public var id: String { "MountainCarContinuous-v0" }
  public var timeLimit: Int? { clock.limit }
  public var actionSpace: Space { .box(low: [-1], high: [1]) }
  public var observationSpace: Space {
    .box(
      low: [Float(Self.minPosition), Float(-Self.maxSpeed)],
      high: [Float(Self.maxPosition), Float(Self.maxSpeed)])
  }

  public var physicalState: [Double] {
    get { [position, velocity] }
    set {
      (position, velocity) = (newValue[0], newValue[1])
      stateIsFloat32 = false
    }
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    position = clock.rng.uniform(-0.6, -0.4)
    velocity = 0
    stateIsFloat32 = false
    observation[0] = Float(position)
    observation[1] = Float(velocity)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .continuous(let values) = action else {
      preconditionFailure("MountainCarContinuous takes a continuous action")
    }
    let raw = values[0]
    let f32 = stateIsFloat32

    // force = min(max(action, -1.0), 1.0): stays float32 unless clipped to a Python float.
    var force = Double(raw)
    var forceIs32 = true
    if -1.0 > force { (force, forceIs32) = (-1.0, false) }
    if 1.0 < force { (force, forceIs32) = (1.0, false) }

    let angle = f32 ? Double(Float(3) * Float(position)) : 3 * position
    let gravityTerm = 0.0025 * cos(angle)
    let acceleration =
      forceIs32
      ? Double(Float(force) * Float(power) - Float(gravityTerm))
      : force * power - gravityTerm
    velocity = f32 ? Double(Float(velocity) + Float(acceleration)) : velocity + acceleration

    // Each comparison runs in float32 while the value is float32; a clipped value becomes a
    // Python float (float64) from then on.
    var velocityIs32 = f32
    if greater(velocity, Self.maxSpeed, velocityIs32) {
      (velocity, velocityIs32) = (Self.maxSpeed, false)
    }
    if greater(-Self.maxSpeed, velocity, velocityIs32) {
      (velocity, velocityIs32) = (-Self.maxSpeed, false)
    }
    position = f32 ? Double(Float(position) + Float(velocity)) : position + velocity
    var positionIs32 = f32
    if greater(position, Self.maxPosition, positionIs32) {
      (position, positionIs32) = (Self.maxPosition, false)
    }
    if greater(Self.minPosition, position, positionIs32) {
      (position, positionIs32) = (Self.minPosition, false)
    }
    let atLeftWall =
      positionIs32 ? Float(position) == Float(Self.minPosition) : position == Self.minPosition
    if atLeftWall && velocity < 0 { velocity = 0 }
    let reachedGoal =
      positionIs32 ? Float(position) >= Float(Self.goalPosition) : position >= Self.goalPosition
    let terminated = reachedGoal && velocity >= 0

    position = Double(Float(position))
    velocity = Double(Float(velocity))
    stateIsFloat32 = true
    observation[0] = Float(position)
    observation[1] = Float(velocity)
    let reward = (terminated ? 100.0 : 0.0) - Double(raw) * Double(raw) * 0.1
    return Step(reward: reward, end: clock.tick(terminated: terminated))
  }

  /// `a > b` in the precision NumPy would use: float32 when the variable is float32.
  @inline(__always) private func greater(_ a: Double, _ b: Double, _ inFloat32: Bool) -> Bool {
    inFloat32 ? Float(a) > Float(b) : a > b
  }
}
