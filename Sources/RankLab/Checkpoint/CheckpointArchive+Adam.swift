/// Adam's moments in a checkpoint: every agent keeps them the same way, two sections per
/// optimizer, `<scope>/adam_m[/<name>]` and `<scope>/adam_v[/<name>]`. The step count belongs to
/// the caller's own state record (it is saved with the agent's other counters), so it is passed in.
extension CheckpointArchive {
  private static func momentNames(_ scope: String, _ name: String?) -> (
    first: String, second: String
  ) {
    let suffix = name.map { "/\($0)" } ?? ""
    return ("\(scope)/adam_m\(suffix)", "\(scope)/adam_v\(suffix)")
  }

  mutating func putMoments(of optimizer: Adam, scope: String, name: String? = nil) {
    let names = Self.momentNames(scope, name)
    put(names.first, array: optimizer.firstMoment)
    put(names.second, array: optimizer.secondMoment)
  }

  /// Restores `optimizer`'s moments (checked against its size) and sets its step to `step`.
  func restoreMoments(of optimizer: inout Adam, step: Int, scope: String, name: String? = nil)
    throws
  {
    let names = Self.momentNames(scope, name)
    let count = optimizer.firstMoment.count
    optimizer.restore(
      step: step,
      firstMoment: try array(names.first, of: Float.self, count: count),
      secondMoment: try array(names.second, of: Float.self, count: count))
  }
}
