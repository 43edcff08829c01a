/// The shape of an observation or action: a finite set of choices or a bounded box of floats.
public enum Space: Equatable, Sendable, Codable {
  /// `n` choices, numbered `0..<n`.
  case discrete(Int)
  /// A flat vector of floats, each within `low[i]...high[i]` (infinite bounds allowed).
  case box(low: [Float], high: [Float])

  /// Number of floats needed to hold one element of the space (1 for a discrete choice).
  public var flatCount: Int {
    switch self {
    case .discrete: return 1
    case .box(let low, _): return low.count
    }
  }

  /// A short human-readable description, as `ranklab envs` prints it.
  public var summary: String {
    switch self {
    case .discrete(let n): return "Discrete(\(n))"
    case .box(let low, let high):
      let lo = low.min() ?? 0
      let hi = high.max() ?? 0
      return "Box(\(format(lo)), \(format(hi)), (\(low.count),))"
    }
  }

  private func format(_ x: Float) -> String {
    if x == .infinity { return "inf" }
    if x == -.infinity { return "-inf" }
    return x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(x)
  }
}
