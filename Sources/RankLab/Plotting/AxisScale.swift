import Foundation

/// A linear or log10 mapping from data values to pixels, with 1-2-5 tick marks.
public struct AxisScale: Equatable, Sendable {
  public var low: Double
  public var high: Double
  public var isLog: Bool
  public var pixelLow: Double
  public var pixelHigh: Double

  /// A scale covering `values` with nice rounded ends; log scales ignore values <= 0.
  public init(
    covering values: [Double], isLog: Bool, pixels: (Double, Double), tight: Bool = false
  ) {
    self.isLog = isLog
    pixelLow = pixels.0
    pixelHigh = pixels.1
    let usable = values.filter { $0.isFinite && (!isLog || $0 > 0) }
    var low = usable.min() ?? (isLog ? 1 : 0)
    var high = usable.max() ?? (isLog ? 10 : 1)
    if isLog {
      low = log10(low)
      high = log10(high)
      if high - low < 1e-9 {
        low -= 0.5
        high += 0.5
      }
      if !tight {
        low = low.rounded(.down)
        high = high.rounded(.up)
      }
    } else {
      if high - low < 1e-12 * max(1, abs(high)) {
        low -= max(abs(low) * 0.1, 0.5)
        high += max(abs(high) * 0.1, 0.5)
      }
      if !tight {
        let step = AxisScale.niceStep((high - low) / 5)
        low = (low / step).rounded(.down) * step
        high = (high / step).rounded(.up) * step
      }
    }
    self.low = low
    self.high = high
  }

  /// The pixel of `value`; on a log scale values <= 0 map below the axis (clipped away).
  public func pixel(_ value: Double) -> Double {
    let v = isLog ? (value > 0 ? log10(value) : low - 10 * (high - low)) : value
    return pixelLow + (v - low) / (high - low) * (pixelHigh - pixelLow)
  }

  /// Tick values (in data units), about `target` of them.
  public func ticks(target: Int = 5) -> [Double] {
    if isLog {
      let first = Int(low.rounded(.up))
      let last = Int(high.rounded(.down))
      var ticks = (first...max(first, last)).map { pow(10, Double($0)) }
      if last - first < 2 {
        // Under two decades, 2 and 5 between the powers of ten keep the axis readable.
        let extra = (first - 1...last).flatMap { e in [2.0, 5.0].map { $0 * pow(10, Double(e)) } }
        ticks += extra.filter { log10($0) >= low - 1e-9 && log10($0) <= high + 1e-9 }
      }
      return ticks.filter { log10($0) >= low - 1e-9 && log10($0) <= high + 1e-9 }.sorted()
    }
    let step = tickStep(target: target)
    var ticks: [Double] = []
    var k = (low / step - 1e-9).rounded(.up)
    while k * step <= high + step * 1e-9 {
      let value = k * step
      ticks.append(abs(value) < step * 1e-9 ? 0 : value)
      k += 1
    }
    return ticks
  }

  /// The spacing of linear ticks.
  public func tickStep(target: Int = 5) -> Double {
    AxisScale.niceStep((high - low) / Double(max(target, 1)))
  }

  /// The 1-2-5 number nearest above `raw`.
  public static func niceStep(_ raw: Double) -> Double {
    guard raw > 0, raw.isFinite else { return 1 }
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let fraction = raw / magnitude
    let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    return nice * magnitude
  }

  /// A tick label: thousands as `k`, millions as `M`, decimals only as many as the step needs.
  public func label(_ value: Double) -> String {
    if isLog {
      let exponent = log10(value)
      if abs(exponent) >= 4, abs(exponent - exponent.rounded()) < 1e-9 {
        return "1e\(Int(exponent.rounded()))"
      }
      return NumberText.compact(value)
    }
    return NumberText.tick(value, step: tickStep())
  }
}

/// Deterministic number formatting for axes, tooltips and tables.
public enum NumberText {
  /// A tick value printed with the decimals its step needs.
  public static func tick(_ value: Double, step: Double) -> String {
    let magnitude = abs(value)
    if magnitude >= 1e6, step >= 1e5 {
      return trimmed(value / 1e6, decimals: decimals(step / 1e6)) + "M"
    }
    if magnitude >= 1e4, step >= 1e3 {
      return trimmed(value / 1e3, decimals: decimals(step / 1e3)) + "k"
    }
    return trimmed(value, decimals: decimals(step))
  }

  /// Four significant digits, exponent form for very large or small numbers.
  public static func compact(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    let magnitude = abs(value)
    if magnitude != 0, magnitude < 1e-3 || magnitude >= 1e7 {
      return String(format: "%.3g", value)
    }
    if magnitude >= 1000 { return String(format: "%.0f", value) }
    return String(format: "%.4g", value)
  }

  static func decimals(_ step: Double) -> Int {
    guard step > 0, step.isFinite else { return 0 }
    return max(0, Int((-log10(step) + 1e-9).rounded(.up)))
  }

  static func trimmed(_ value: Double, decimals: Int) -> String {
    let text = String(format: "%.\(min(decimals, 10))f", value)
    return text == "-0" ? "0" : text.hasPrefix("-0.") && Double(text) == 0 ? "0" : text
  }

  /// Coordinates in SVG: two decimals, so the same input always gives the same bytes.
  static func coordinate(_ value: Double) -> String {
    let text = String(format: "%.2f", value)
    return text == "-0.00" ? "0.00" : text
  }
}
