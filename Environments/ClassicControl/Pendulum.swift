import Foundation

/// Pendulum-v1: swing a pendulum up and hold it with a bounded torque, as Gymnasium 1.2.0
/// (g = 10, reward −(θ² + 0.1·θ̇² + 0.001·u²), never terminates, limit 200).
public struct Pendulum: ClassicControlEnvironment {
  public private(set) var maxSpeed = 8.0
  public private(set) var maxTorque: Float = 2.0
  static let dt = 0.05
  public private(set) var mass = 1.0
  public private(set) var length = 1.0

  public var theta = 0.0, thetaDot = 0.0
  /// Gravity; Gymnasium's default is 10.0.
  public var gravity: Double
  var clock: EpisodeClock
  /// The unsafe band of angles (`env.safety.angle_low/high`): nil, no failure signal.
  public var safety: SafetyRegion?

  public init(timeLimit: Int? = nil, gravity: Double = 10.0) {
    clock = EpisodeClock(limit: timeLimit ?? 200)
    self.gravity = gravity
  }

  /// Gymnasium's attribute names and defaults.
  public static let parameterDefaults: [(name: String, value: Double)] = [
    ("g", 10.0), ("m", 1.0), ("l", 1.0), ("max_speed", 8.0), ("max_torque", 2.0),
  ]

  /// With physical parameters set as on Gymnasium's `env.unwrapped` before reset. Gymnasium
  /// builds its spaces in `__init__` from the defaults; here the action and observation bounds
  /// follow `max_torque` and `max_speed`, so an agent can use the whole torque range it is given.
  public init(timeLimit: Int? = nil, parameters: [String: Double]) throws {
    self.init(timeLimit: timeLimit)
    let values = try PhysicalParameters.resolve(
      parameters, defaults: Self.parameterDefaults, environment: id)
    (gravity, mass, length) = (values["g"]!, values["m"]!, values["l"]!)
    (maxSpeed, maxTorque) = (values["max_speed"]!, Float(values["max_torque"]!))
  }

  public var id: String { "Pendulum-v1" }
  public var hasFailureSignal: Bool { safety?.angleLow != nil }
  public var timeLimit: Int? { clock.limit }
  // The spaces are Gymnasium's as its __init__ builds them, from the default max_speed and
  // max_torque: parameters changed afterwards (as `env.params` and the reference trajectories
  // do) change the dynamics' clipping, not the spaces, so a trained policy can act in the
  // perturbed environment.
  public var actionSpace: Space { .box(low: [-2], high: [2]) }
  public var observationSpace: Space {
    .box(low: [-1, -1, -8], high: [1, 1, 8])
  }

  public var physicalState: [Double] {
    get { [theta, thetaDot] }
    set { (theta, thetaDot) = (newValue[0], newValue[1]) }
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    theta = clock.rng.uniform(-Double.pi, Double.pi)
    thetaDot = clock.rng.uniform(-1, 1)
    writeObservation(observation)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .continuous(let values) = action else {
      preconditionFailure("Pendulum takes a continuous action")
    }
    // The torque stays float32, so NumPy computes 0.001·u² and 3·u in float32.
    let u = min(max(values[0], -maxTorque), maxTorque)
    let normalized = Self.angleNormalize(theta)
    let cost =
      normalized * normalized + 0.1 * (thetaDot * thetaDot) + Double(Float(0.001) * (u * u))
    let torqueTerm = Double(Float(3.0 / (mass * (length * length))) * u)
    var newThetaDot =
      thetaDot + (3 * gravity / (2 * length) * sin(theta) + torqueTerm) * Self.dt
    newThetaDot = min(max(newThetaDot, -maxSpeed), maxSpeed)
    theta = theta + newThetaDot * Self.dt
    thetaDot = newThetaDot
    writeObservation(observation)
    let failure: Double = safety?.angleIsUnsafe(Self.angleNormalize(theta)) == true ? 1 : 0
    return Step(reward: -cost, cost: failure, end: clock.tick(terminated: false))
  }

  /// ((x + π) mod 2π) − π with NumPy's floored modulo (result takes the divisor's sign).
  static func angleNormalize(_ x: Double) -> Double {
    let divisor = 2 * Double.pi
    var mod = fmod(x + Double.pi, divisor)
    if mod != 0 && (mod < 0) != (divisor < 0) { mod += divisor }
    return mod - Double.pi
  }

  @inline(__always) private func writeObservation(_ o: UnsafeMutableBufferPointer<Float>) {
    o[0] = Float(cos(theta))
    o[1] = Float(sin(theta))
    o[2] = Float(thetaDot)
  }
}
