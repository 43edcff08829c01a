/// One problem in a config, located in its file (or in a `--set` override).
public struct ConfigIssue: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file, or `--set KEY=VALUE` for an override.
  public var source: String
  public var line: Int?
  public var column: Int?
  /// Dotted key path, e.g. `agent.learning_rate`.
  public var path: String
  public var message: String

  public var description: String {
    var location = source
    if let line { location += ":\(line)" }
    if let column { location += ":\(column)" }
    return "\(location): \(message)"
  }
}

/// Every problem found in a config; the run does not start.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
  public var issues: [ConfigIssue]

  public var description: String {
    issues.map(\.description).joined(separator: "\n")
  }
}

/// Suggests the valid name closest to a mistyped one.
enum Spelling {
  static func closest(to word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
  }

  /// Levenshtein edit distance.
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(
          previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
