import Foundation
import Synchronization

/// SIGINT and SIGTERM (Slurm's preemption signal too) ask a run to stop: the training loop sees
/// the request after its current step, writes a checkpoint, marks the run `interrupted` and
/// ends. A second signal kills at once (the handler restores the default).
public enum RunInterruption {
  private static let received = Atomic<Int32>(0)

  /// The signal received, or 0.
  public static var signal: Int32 { received.load(ordering: .relaxed) }

  public static func install() {
    // A parent may have started us with these signals blocked (the mask is inherited).
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    sigprocmask(SIG_UNBLOCK, &set, nil)
    for number in [SIGINT, SIGTERM] {
      _ = Foundation.signal(number) { number in
        RunInterruption.received.store(number, ordering: .relaxed)
        _ = Foundation.signal(number, SIG_DFL)
      }
    }
  }
}

/// A run stopped by a signal after writing a checkpoint at `step`.
public struct RunInterrupted: Error, CustomStringConvertible {
  public var directory: URL
  public var step: Int
  public var signal: Int32

  public var description: String {
    "\(directory.path): interrupted at step \(step) (checkpoint written); continue it with `ranklab run --resume \(directory.path)`"
  }
}

/// A loss or a parameter that went NaN or infinite: the run stops instead of writing NaN rows.
public struct NonFiniteValue: Error, CustomStringConvertible {
  public var step: Int
  public var key: String
  /// The newest checkpoint left in place (nil: the run stopped before its first one).
  public var lastCheckpoint: String?

  public init(step: Int, key: String, lastCheckpoint: String? = nil) {
    self.step = step
    self.key = key
    self.lastCheckpoint = lastCheckpoint
  }

  public var description: String {
    let kept =
      lastCheckpoint.map { "kept its last good checkpoint (\($0))" }
      ?? "no checkpoint had been written yet (see checkpoint.every)"
    return
      "step \(step): \(key) is not finite (NaN or infinite); the run stopped and \(kept). Lower agent.learning_rate or set agent.max_grad_norm"
  }
}
