import Foundation

/// Where a run's wall-clock time went, by part of the loop (written to summary.json), so
/// speed work goes where the time is.
public struct TimeBreakdown: Codable, Sendable, Equatable {
  public var environment = 0.0
  /// Choosing actions (single-state forward passes, exploration).
  public var acting = 0.0
  public var replayInsert = 0.0
  /// Sampling minibatches from the replay buffer (inside the learner).
  public var replaySample = 0.0
  /// Gradient steps: forward, backward, optimizer (sampling excluded).
  public var learner = 0.0
  public var rank = 0.0
  public var evaluation = 0.0
  public var total = 0.0

  enum CodingKeys: String, CodingKey {
    case environment, acting, learner, rank, evaluation, total
    case replayInsert = "replay_insert"
    case replaySample = "replay_sample"
  }

  /// Seconds since `start` (a monotonic clock reading).
  @inline(__always) static func since(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
  }

  @inline(__always) static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

  /// Each part as a fraction of the total.
  public var fractions: [String: Double] {
    guard total > 0 else { return [:] }
    let other =
      total - environment - acting - replayInsert - replaySample - learner - rank - evaluation
    return [
      "environment": environment / total, "acting": acting / total,
      "replay_insert": replayInsert / total,
      "replay_sample": replaySample / total, "learner": learner / total, "rank": rank / total,
      "evaluation": evaluation / total, "other": other / total,
    ]
  }
}
