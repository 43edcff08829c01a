extension Duration {
  /// The duration in seconds, as a Double (benchmarks report rates).
  var inSeconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}
