import Foundation

/// Pendulum-v1: swing a pendulum up and hold it with a bounded torque, as Gymnasium 1.2.0
/// (g = 10, reward −(θ² + 0.1·θ̇² + 0.001·u²), never terminates, limit 200).
public struct Pendulum: ClassicControlEnvironment {
  static let maxSpeed = 8.0
  static let maxTorque: Float = 2.0
  static let dt = 0.05
  static let mass = 1.0
  static let length = 1.0

  public var theta = 0.0, thetaDot = 0.0
  /// Gravity; Gymnasium's default is 10.0.
  public var gravity: Double
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil, gravity: Double = 10.0) {
    clock = EpisodeClock(limit: timeLimit ?? 200)
    self.gravity = gravity
  }

  public var id: String { "Pendulum-v1" }
  public var timeLimit: Int? { clock.limit }
  public var actionSpace: Space { .box(low: [-Self.maxTorque], high: [Self.maxTorque]) }
  public var observationSpace: Space {
    .box(low: [-1, -1, Float(-Self.maxSpeed)], high: [1, 1, Float(Self.maxSpeed)])
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
    let u = min(max(values[0], -Self.maxTorque), Self.maxTorque)
    let normalized = Self.angleNormalize(theta)
    let cost =
      normalized * normalized + 0.1 * (thetaDot * thetaDot) + Double(Float(0.001) * (u * u))
    let torqueTerm = Double(Float(3.0 / (Self.mass * Self.length * Self.length)) * u)
    var newThetaDot =
      thetaDot + (3 * gravity / (2 * Self.length) * sin(theta) + torqueTerm) * Self.dt
    newThetaDot = min(max(newThetaDot, -Self.maxSpeed), Self.maxSpeed)
    theta = theta + newThetaDot * Self.dt
    thetaDot = newThetaDot
    writeObservation(observation)
    return Step(reward: -cost, end: clock.tick(terminated: false))
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
