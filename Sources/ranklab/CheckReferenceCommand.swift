import ArgumentParser
import Environments
import Foundation

/// `ranklab check-reference`: replays Gymnasium's recorded trajectories through ranklab.
struct CheckReferenceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-reference",
    abstract: "Check ranklab's environments against trajectories recorded from Gymnasium.",
    discussion: """
      Each FILE is a JSON trajectory recorded from Gymnasium (format: the reference README; \
      make more with bench/make-reference.py). Two levels are checked: the dynamics, starting \
      from the recorded internal state, and seeding, where reset(seed:) must reproduce \
      Gymnasium's initial state. Prints one line per file and exits non-zero unless all match.
      """)

  @Argument(help: "Reference trajectory files (JSON).", completion: .file(extensions: ["json"]))
  var files: [String]

  func run() throws {
    var matched = 0
    for file in files {
      do {
        let trajectory = try ReferenceTrajectory.load(from: URL(fileURLWithPath: file))
        let result = try ReferenceChecker.check(trajectory, file: file)
        let label = "\(result.env) seed \(result.seed)".padding(
          toLength: 36, withPad: " ", startingAt: 0)
        if let mismatch = result.mismatch {
          print("FAIL \(label) \(mismatch)  [\(file)]")
        } else {
          matched += 1
          print("ok   \(label) (\(result.steps) steps)")
        }
      } catch {
        print("FAIL \(error)")
      }
    }
    print("\(matched)/\(files.count) reference trajectories match")
    if matched != files.count { throw ExitCode.failure }
  }
}
