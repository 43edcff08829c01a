import Environments
import Foundation

/// How the shaded band around the mean of the seeds is drawn.
public enum BandKind: String, CaseIterable, Sendable {
  /// Mean ± sample standard deviation of the seeds.
  case std
  /// 95% percentile bootstrap confidence interval of the mean (seeds resampled).
  case ci
  /// No band.
  case none
}

/// Which x values the seeds are compared at when they logged at different steps.
public enum Alignment: String, CaseIterable, Sendable {
  /// The union of every seed's x values; each seed is linearly interpolated between its own
  /// points and counts only inside its own logged range (never extrapolated), so a run still
  /// in progress shortens nothing but its own contribution.
  case union
  /// Only x values that every seed logged, with no interpolation.
  case common
}

/// The mean of several seeds' curves with a band, on one grid of x values.
public struct SeedAggregate: Equatable, Sendable {
  public var x: [Double]
  public var mean: [Double]
  public var lower: [Double]
  public var upper: [Double]
  /// Seeds that contributed at each x.
  public var count: [Int]

  /// Aggregates `seeds` (each a list of (x, y) in logging order).
  public static func make(
    seeds: [[(x: Double, y: Double)]], band: BandKind, alignment: Alignment = .union,
    bootstrap: BootstrapOptions = .init()
  ) -> SeedAggregate {
    let curves = seeds.map(sortedUnique).filter { !$0.isEmpty }
    var result = SeedAggregate(x: [], mean: [], lower: [], upper: [], count: [])
    guard !curves.isEmpty else { return result }
    let grid: [Double]
    switch alignment {
    case .union:
      grid = Array(Set(curves.flatMap { $0.map(\.x) })).sorted()
    case .common:
      var common = Set(curves[0].map(\.x))
      for curve in curves.dropFirst() { common.formIntersection(curve.map(\.x)) }
      grid = common.sorted()
    }
    var generator = PCG64(seed: bootstrap.seed)
    var cursors = [Int](repeating: 0, count: curves.count)
    var values: [Double] = []
    values.reserveCapacity(curves.count)
    for x in grid {
      values.removeAll(keepingCapacity: true)
      for (index, curve) in curves.enumerated() {
        if let y = interpolate(curve, at: x, cursor: &cursors[index]) { values.append(y) }
      }
      guard !values.isEmpty else { continue }
      let mean = values.reduce(0, +) / Double(values.count)
      var lower = mean
      var upper = mean
      switch band {
      case .std:
        let deviation = standardDeviation(values, mean: mean)
        lower = mean - deviation
        upper = mean + deviation
      case .ci:
        (lower, upper) = bootstrapInterval(
          values, resamples: bootstrap.resamples, level: bootstrap.level, generator: &generator)
      case .none:
        break
      }
      result.x.append(x)
      result.mean.append(mean)
      result.lower.append(lower)
      result.upper.append(upper)
      result.count.append(values.count)
    }
    return result
  }

  /// Sample standard deviation (n - 1); zero for a single seed.
  public static func standardDeviation(_ values: [Double], mean: Double) -> Double {
    guard values.count > 1 else { return 0 }
    let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (squares / Double(values.count - 1)).squareRoot()
  }

  /// Percentile bootstrap interval of the mean: resample the values with replacement,
  /// take the (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled means.
  public static func bootstrapInterval(
    _ values: [Double], resamples: Int, level: Double, generator: inout PCG64
  ) -> (Double, Double) {
    let n = values.count
    guard n > 1, resamples > 0 else {
      let mean = values.reduce(0, +) / Double(max(n, 1))
      return (mean, mean)
    }
    var means = [Double](repeating: 0, count: resamples)
    for r in 0..<resamples {
      var sum = 0.0
      for _ in 0..<n { sum += values[generator.nextInt(below: n)] }
      means[r] = sum / Double(n)
    }
    means.sort()
    return (quantile(means, (1 - level) / 2), quantile(means, (1 + level) / 2))
  }

  /// Linear-interpolation quantile of sorted values (numpy's default).
  static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    let fraction = position - Double(low)
    return sorted[low] + (sorted[high] - sorted[low]) * fraction
  }

  /// Sorts by x; of repeated x values (a resumed run logging a step twice) the last wins.
  static func sortedUnique(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
    var byX: [Double: Double] = [:]
    for point in points where point.x.isFinite && point.y.isFinite { byX[point.x] = point.y }
    return byX.keys.sorted().compactMap { x in byX[x].map { (x, $0) } }
  }

  /// The curve's value at `x`, or nil outside its range; `cursor` walks forward as x grows.
  private static func interpolate(
    _ curve: [(x: Double, y: Double)], at x: Double, cursor: inout Int
  ) -> Double? {
    guard let first = curve.first, let last = curve.last, x >= first.x, x <= last.x else {
      return nil
    }
    while cursor + 1 < curve.count, curve[cursor + 1].x <= x { cursor += 1 }
    let a = curve[cursor]
    if a.x == x || cursor + 1 >= curve.count { return a.y }
    let b = curve[cursor + 1]
    return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
  }
}

/// Settings of the bootstrap confidence interval; the seed makes the band reproducible.
public struct BootstrapOptions: Equatable, Sendable {
  public var resamples: Int
  public var level: Double
  public var seed: UInt64

  public init(resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
    self.resamples = resamples
    self.level = level
    self.seed = seed
  }
}

/// Exponential moving average with TensorBoard's debiasing, applied to each seed before
/// averaging; weight 0 leaves the curve unchanged.
public enum Smoothing {
  public static func ema(_ points: [(x: Double, y: Double)], weight: Double) -> [(
    x: Double, y: Double
  )] {
    guard weight > 0 else { return points }
    var last = 0.0
    var correction = 1.0
    return points.map { point in
      last = last * weight + (1 - weight) * point.y
      correction *= weight
      return (point.x, last / (1 - correction))
    }
  }
}
