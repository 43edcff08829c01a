import Foundation

/// MountainCar-v0: drive an under-powered car up a hill by rocking it (Moore 1990), as
/// Gymnasium 1.2.0 (three actions, reward -1 per step, limit 200).
public struct MountainCar: ClassicControlEnvironment {
  static let minPosition = -1.2
  static let maxPosition = 0.6
  static let maxSpeed = 0.07
  static let goalPosition = 0.5
  public private(set) var force = 0.001
  public private(set) var gravity = 0.0025

  public var position = 0.0, velocity = 0.0
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil) {
    clock = EpisodeClock(limit: timeLimit ?? 200)
  }

  /// Gymnasium's attribute names and defaults.
  public static let parameterDefaults: [(name: String, value: Double)] = [
    ("force", 0.001), ("gravity", 0.0025),
  ]

  /// With physical parameters set as on Gymnasium's `env.unwrapped` before reset.
  public init(timeLimit: Int? = nil, parameters: [String: Double]) throws {
    self.init(timeLimit: timeLimit)
    let values = try PhysicalParameters.resolve(
      parameters, defaults: Self.parameterDefaults, environment: id)
    (force, gravity) = (values["force"]!, values["gravity"]!)
  }

  public var id: String { "MountainCar-v0" }
  public var timeLimit: Int? { clock.limit }
  public var actionSpace: Space { .discrete(3) }
  public var observationSpace: Space {
    .box(
      low: [Float(Self.minPosition), Float(-Self.maxSpeed)],
      high: [Float(Self.maxPosition), Float(Self.maxSpeed)])
  }

  public var physicalState: [Double] {
    get { [position, velocity] }
    set { (position, velocity) = (newValue[0], newValue[1]) }
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    position = clock.rng.uniform(-0.6, -0.4)
    velocity = 0
    observation[0] = Float(position)
    observation[1] = Float(velocity)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .discrete(let a) = action else {
      preconditionFailure("MountainCar takes a discrete action")
    }
    velocity += Double(a - 1) * force + cos(3 * position) * (-gravity)
    velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
    position += velocity
    position = min(max(position, Self.minPosition), Self.maxPosition)
    if position == Self.minPosition && velocity < 0 { velocity = 0 }
    observation[0] = Float(position)
    observation[1] = Float(velocity)
    let terminated = position >= Self.goalPosition && velocity >= 0
    return Step(reward: -1, end: clock.tick(terminated: terminated))
  }
}
