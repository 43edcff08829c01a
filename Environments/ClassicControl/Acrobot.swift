import Foundation

/// Acrobot-v1: swing a two-link underactuated pendulum's tip above a line by torquing the joint
/// between the links (Sutton 1996), as Gymnasium 1.2.0 ("book" dynamics, one RK4 step of 0.2 s,
/// reward −1 per step, limit 500).
public struct Acrobot: ClassicControlEnvironment {
  static let dt = 0.2
  public private(set) var linkLength1 = 1.0
  public private(set) var linkMass1 = 1.0
  public private(set) var linkMass2 = 1.0
  static let linkCenter1 = 0.5
  static let linkCenter2 = 0.5
  public private(set) var linkInertia = 1.0
  static let maxVelocity1 = 4 * Double.pi
  static let maxVelocity2 = 9 * Double.pi
  static let torques: (Double, Double, Double) = (-1.0, 0.0, 1.0)

  public private(set) var linkLength2 = 1.0
  public var theta1 = 0.0, theta2 = 0.0, dTheta1 = 0.0, dTheta2 = 0.0
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil) {
    clock = EpisodeClock(limit: timeLimit ?? 500)
  }

  /// Gymnasium's attribute names and defaults. `LINK_LENGTH_2` only draws the second link in
  /// Gymnasium (its dynamics never read it), and is accepted for the same reason here.
  public static let parameterDefaults: [(name: String, value: Double)] = [
    ("LINK_LENGTH_1", 1.0), ("LINK_LENGTH_2", 1.0), ("LINK_MASS_1", 1.0), ("LINK_MASS_2", 1.0),
    ("LINK_MOI", 1.0),
  ]

  /// With physical parameters set as on Gymnasium's `env.unwrapped` before reset.
  public init(timeLimit: Int? = nil, parameters: [String: Double]) throws {
    self.init(timeLimit: timeLimit)
    let values = try PhysicalParameters.resolve(
      parameters, defaults: Self.parameterDefaults, environment: id)
    (linkLength1, linkLength2) = (values["LINK_LENGTH_1"]!, values["LINK_LENGTH_2"]!)
    (linkMass1, linkMass2, linkInertia) = (
      values["LINK_MASS_1"]!, values["LINK_MASS_2"]!, values["LINK_MOI"]!
    )
  }

  public var id: String { "Acrobot-v1" }
  public var timeLimit: Int? { clock.limit }
  public var actionSpace: Space { .discrete(3) }
  public var observationSpace: Space {
    let high: [Float] = [1, 1, 1, 1, Float(Self.maxVelocity1), Float(Self.maxVelocity2)]
    return .box(low: high.map { -$0 }, high: high)
  }

  public var physicalState: [Double] {
    get { [theta1, theta2, dTheta1, dTheta2] }
    set {
      (theta1, theta2, dTheta1, dTheta2) = (newValue[0], newValue[1], newValue[2], newValue[3])
    }
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    // Gymnasium draws float64 values and stores them as float32.
    theta1 = Double(Float(clock.rng.uniform(-0.1, 0.1)))
    theta2 = Double(Float(clock.rng.uniform(-0.1, 0.1)))
    dTheta1 = Double(Float(clock.rng.uniform(-0.1, 0.1)))
    dTheta2 = Double(Float(clock.rng.uniform(-0.1, 0.1)))
    writeObservation(observation)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .discrete(let a) = action else {
      preconditionFailure("Acrobot takes a discrete action")
    }
    let torque = a == 0 ? Self.torques.0 : a == 1 ? Self.torques.1 : Self.torques.2
    let s = SIMD4(theta1, theta2, dTheta1, dTheta2)
    // One classical Runge-Kutta step over [0, dt], in Gymnasium's order of operations.
    let h = Self.dt
    let h2 = h / 2.0
    let k1 = derivatives(s, torque)
    let k2 = derivatives(s + h2 * k1, torque)
    let k3 = derivatives(s + h2 * k2, torque)
    let k4 = derivatives(s + h * k3, torque)
    let next = s + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    theta1 = Self.wrap(next[0], -Double.pi, Double.pi)
    theta2 = Self.wrap(next[1], -Double.pi, Double.pi)
    dTheta1 = min(max(next[2], -Self.maxVelocity1), Self.maxVelocity1)
    dTheta2 = min(max(next[3], -Self.maxVelocity2), Self.maxVelocity2)
    let cos1 = cos(theta1)
    observation[0] = Float(cos1)
    observation[1] = Float(sin(theta1))
    observation[2] = Float(cos(theta2))
    observation[3] = Float(sin(theta2))
    observation[4] = Float(dTheta1)
    observation[5] = Float(dTheta2)
    let terminated = -cos1 - cos(theta2 + theta1) > 1.0
    return Step(reward: terminated ? 0 : -1, end: clock.tick(terminated: terminated))
  }

  /// The equations of motion ("book" variant), term by term as Gymnasium writes them.
  func derivatives(_ s: SIMD4<Double>, _ a: Double) -> SIMD4<Double> {
    let m1 = linkMass1
    let m2 = linkMass2
    let l1 = linkLength1
    let lc1 = Self.linkCenter1
    let lc2 = Self.linkCenter2
    let i1 = linkInertia
    let i2 = linkInertia
    let g = 9.8
    let (theta1, theta2, dtheta1, dtheta2) = (s[0], s[1], s[2], s[3])
    // Each trigonometric value once: the same numbers Gymnasium computes repeatedly.
    let cos2 = cos(theta2)
    let sin2 = sin(theta2)
    let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + i1 + i2
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + i2
    let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
    let phi1 =
      -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2
      - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
      + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2) + phi2
    let ddtheta2 =
      (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2)
      / (m2 * lc2 * lc2 + i2 - (d2 * d2) / d1)
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
  }

  /// Wraps an angle into [low, high] by whole turns, as Gymnasium's `wrap`.
  static func wrap(_ x: Double, _ low: Double, _ high: Double) -> Double {
    let span = high - low
    var v = x
    while v > high { v -= span }
    while v < low { v += span }
    return v
  }

  @inline(__always) private func writeObservation(_ o: UnsafeMutableBufferPointer<Float>) {
    o[0] = Float(cos(theta1))
    o[1] = Float(sin(theta1))
    o[2] = Float(cos(theta2))
    o[3] = Float(sin(theta2))
    o[4] = Float(dTheta1)
    o[5] = Float(dTheta2)
  }
}
