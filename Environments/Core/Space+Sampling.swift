extension Space {
  /// A uniformly random element: an index below n, or a vector within the box (an infinite
  /// bound is replaced by ±1, so unbounded boxes still give finite actions).
  public func randomAction(_ rng: inout PCG64) -> Action {
    switch self {
    case .discrete(let n):
      return .discrete(rng.nextInt(below: n))
    case .box(let low, let high):
      return .continuous(
        zip(low, high).map { lo, hi in
          let (a, b) = (lo.isFinite ? lo : -1, hi.isFinite ? hi : 1)
          return a + (b - a) * rng.nextFloat()
        })
    }
  }
}
