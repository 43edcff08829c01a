import Foundation

/// CartPole-v1: balance a pole on a cart by pushing it left or right (Barto, Sutton & Anderson
/// 1983), step for step as Gymnasium 1.2.0 (Euler integration, reward 1 per step, limit 500).
public struct CartPole: ClassicControlEnvironment {
  static let gravity = 9.8
  static let massCart = 1.0
  static let massPole = 0.1
  static let totalMass = massPole + massCart
  static let halfLength = 0.5
  static let poleMassLength = massPole * halfLength
  static let forceMagnitude = 10.0
  static let tau = 0.02
  static let thetaThreshold = 12 * 2 * Double.pi / 360
  static let xThreshold = 2.4

  public var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
  var clock: EpisodeClock

  public init(timeLimit: Int? = nil) {
    clock = EpisodeClock(limit: timeLimit ?? 500)
  }

  public var id: String { "CartPole-v1" }
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
    let force = a == 1 ? Self.forceMagnitude : -Self.forceMagnitude
    let cosTheta = cos(theta)
    let sinTheta = sin(theta)
    let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
    let thetaAcc =
      (Self.gravity * sinTheta - cosTheta * temp)
      / (Self.halfLength * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
    let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
    x = x + Self.tau * xDot
    xDot = xDot + Self.tau * xAcc
    theta = theta + Self.tau * thetaDot
    thetaDot = thetaDot + Self.tau * thetaAcc
    writeObservation(observation)
    let terminated =
      x < -Self.xThreshold || x > Self.xThreshold || theta < -Self.thetaThreshold
      || theta > Self.thetaThreshold
    return Step(reward: 1, end: clock.tick(terminated: terminated))
  }

  @inline(__always) private func writeObservation(_ o: UnsafeMutableBufferPointer<Float>) {
    o[0] = Float(x)
    o[1] = Float(xDot)
    o[2] = Float(theta)
    o[3] = Float(thetaDot)
  }
}
