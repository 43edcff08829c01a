/// A value that moves linearly from `initial` to `final` over the first `fraction` of `total`
/// steps and then stays at `final` (SB3's exploration schedule).
public struct LinearSchedule: Sendable, Equatable {
  public var initial: Double
  public var final: Double
  public var fraction: Double
  public var total: Int

  public init(initial: Double, final: Double, fraction: Double, total: Int) {
    self.initial = initial
    self.final = final
    self.fraction = fraction
    self.total = total
  }

  public func value(at step: Int) -> Double {
    let span = fraction * Double(total)
    guard span > 0 else { return final }
    let progress = min(1, Double(step) / span)
    return initial + (final - initial) * progress
  }
}
