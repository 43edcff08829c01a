/// Colours for series: Okabe & Ito's colour-blind-safe palette, and viridis for ordered scales.
public enum Palette {
  /// Okabe-Ito without yellow (too pale on white), in an order that keeps neighbours distinct.
  public static let categorical = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255",
  ]

  /// Dash patterns cycled once the colours run out, so the ninth series still differs.
  public static let dashes = ["", "6 3", "2 3", "8 3 2 3"]

  public static func color(_ index: Int) -> String {
    categorical[index % categorical.count]
  }

  public static func dash(_ index: Int) -> String {
    dashes[(index / categorical.count) % dashes.count]
  }

  /// Viridis sampled at 11 points; `viridis(t)` interpolates for t in [0, 1].
  static let viridisStops: [(Double, Double, Double)] = [
    (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
    (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
  ]

  public static func viridis(_ t: Double) -> String {
    let clamped = min(max(t.isFinite ? t : 0, 0), 1)
    let position = clamped * Double(viridisStops.count - 1)
    let index = min(Int(position), viridisStops.count - 2)
    let f = position - Double(index)
    let a = viridisStops[index]
    let b = viridisStops[index + 1]
    func channel(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
    let r = channel(a.0, b.0)
    let g = channel(a.1, b.1)
    let bl = channel(a.2, b.2)
    return "#" + [r, g, bl].map { hex2($0) }.joined()
  }

  private static func hex2(_ value: Int) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[(value >> 4) & 15], digits[value & 15]])
  }
}
