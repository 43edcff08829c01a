import Foundation

/// CartPole-v1: balance a pole on a cart by pushing it left or right (Barto, Sutton & Anderson
/// 1983), step for step as Gymnasium 1.2.0 (Euler integration, reward 1 per step, limit 500).
public struct CartPole: ClassicControlEnvironment {
  public private(set) var gravity = 9.8
  public private(set) var massCart = 1.0
  public private(set) var massPole = 0.1
  public private(set) var totalMass = 1.1
  public private(set) var halfLength = 0.5
  public private(set) var poleMassLength = 0.05
  public private(set) var forceMagnitude = 10.0
  public private(set) var tau = 0.02
  static let thetaThreshold = 12 * 2 * Double.pi / 360
  static let xThreshold = 2.4

  public var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
  var clock: EpisodeClock
  /// The unsafe region (`env.safety.x_limit`): nil, no failure signal.
  public var safety: SafetyRegion?

  public init(timeLimit: Int? = nil) {
    clock = EpisodeClock(limit: timeLimit ?? 500)
  }

  /// Gymnasium's attribute names and defaults (`length` is half the pole's length).
  public static let parameterDefaults: [(name: String, value: Double)] = [
    ("gravity", 9.8), ("masscart", 1.0), ("masspole", 0.1), ("length", 0.5), ("force_mag", 10.0),
    ("tau", 0.02),
  ]

  /// With physical parameters set as on Gymnasium's `env.unwrapped` before reset; the derived
  /// `total_mass` and `polemass_length` are recomputed as its `__init__` computes them.
  public init(timeLimit: Int? = nil, parameters: [String: Double]) throws {
    self.init(timeLimit: timeLimit)
    let values = try PhysicalParameters.resolve(
      parameters, defaults: Self.parameterDefaults, environment: id)
    (gravity, massCart, massPole) = (values["gravity"]!, values["masscart"]!, values["masspole"]!)
    (halfLength, forceMagnitude, tau) = (values["length"]!, values["force_mag"]!, values["tau"]!)
    totalMass = massPole + massCart
    poleMassLength = massPole * halfLength
  }

  public var id: String { "CartPole-v1" }
  public var hasFailureSignal: Bool { safety?.xLimit != nil }
  public var timeLimit: Int? { clock.limit }
  public var actionSpace: Space { .discrete(2) }
  public var observationSpace: Space {
    let high: [Float] = [
      Float(Self.xThreshold * 2), .infinity, Float(Self.thetaThreshold * 2), .infinity,
    ]
    return .box(low: high.map { -$0 }, high: high)
  }

  public var physicalState: [Double] {
    get { [x, xDot, theta, thetaDot] }
    set { (x, xDot, theta, thetaDot) = (newValue[0], newValue[1], newValue[2], newValue[3]) }
  }

  public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
    clock.reset(seed: seed)
    x = clock.rng.uniform(-0.05, 0.05)
    xDot = clock.rng.uniform(-0.05, 0.05)
    theta = clock.rng.uniform(-0.05, 0.05)
    thetaDot = clock.rng.uniform(-0.05, 0.05)
    writeObservation(observation)
  }

  public mutating func step(_ action: Action, into observation: UnsafeMutableBufferPointer<Float>)
    -> Step
  {
    guard case .discrete(let a) = action else {
      preconditionFailure("CartPole takes a discrete action")
    }
    let force = a == 1 ? forceMagnitude : -forceMagnitude
    let cosTheta = cos(theta)
    let sinTheta = sin(theta)
    let temp = (force + poleMassLength * (thetaDot * thetaDot) * sinTheta) / totalMass
    let thetaAcc =
      (gravity * sinTheta - cosTheta * temp)
      / (halfLength * (4.0 / 3.0 - massPole * (cosTheta * cosTheta) / totalMass))
    let xAcc = temp - poleMassLength * thetaAcc * cosTheta / totalMass
    x = x + tau * xDot
    xDot = xDot + tau * xAcc
    theta = theta + tau * thetaDot
    thetaDot = thetaDot + tau * thetaAcc
    writeObservation(observation)
    let terminated =
      x < -Self.xThreshold || x > Self.xThreshold || theta < -Self.thetaThreshold
      || theta > Self.thetaThreshold
    let cost: Double = safety?.positionIsUnsafe(x) == true ? 1 : 0
    return Step(reward: 1, cost: cost, end: clock.tick(terminated: terminated))
  }

  @inline(__always) private func writeObservation(_ o: UnsafeMutableBufferPointer<Float>) {
    o[0] = Float(x)
    o[1] = Float(xDot)
    o[2] = Float(theta)
    o[3] = Float(thetaDot)
  }
}
