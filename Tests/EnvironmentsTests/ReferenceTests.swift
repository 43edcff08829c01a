import Foundation
import Testing

@testable import Environments

/// Gymnasium's recorded trajectories (copied from shared/reference, plus heuristic-policy
/// episodes that reach MountainCar's goal and CartPole's time limit, made by
/// bench/make-reference.py) replay exactly through ranklab's environments.
@Suite struct ReferenceTests {
  static let files: [URL] = {
    let dir = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/gymnasium")
    return (try! FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil))
      .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
  }()

  @Test func fixturesCoverEveryClassicControlEnvironment() {
    #expect(Self.files.count >= 25)
    let ids = Set(Self.files.compactMap { try? ReferenceTrajectory.load(from: $0).env })
    #expect(
      ids == [
        "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1", "Pendulum-v1",
      ])
  }

  @Test(arguments: files)
  func trajectoryMatchesGymnasium(file: URL) throws {
    let trajectory = try ReferenceTrajectory.load(from: file)
    let result = try ReferenceChecker.check(trajectory, file: file.path)
    #expect(result.mismatch == nil, "\(file.lastPathComponent): \(result.mismatch ?? "")")
  }

  @Test func tamperedObservationIsReportedAtItsStep() throws {
    let file = try #require(Self.files.first { $0.lastPathComponent == "Pendulum-v1-seed0.json" })
    var trajectory = try ReferenceTrajectory.load(from: file)
    trajectory.steps[37].observation[2] += 1e-3
    let result = try ReferenceChecker.check(trajectory)
    #expect(
      result.mismatch?.hasPrefix("dynamics: step 37 obs[2]") == true, "\(result.mismatch ?? "nil")")
  }

  @Test func tamperedSeedIsReportedAsASeedingMismatch() throws {
    let file = try #require(Self.files.first { $0.lastPathComponent == "CartPole-v1-seed3.json" })
    var trajectory = try ReferenceTrajectory.load(from: file)
    trajectory.seed = 4
    let result = try ReferenceChecker.check(trajectory)
    // The recorded state still drives the dynamics; only seeding disagrees.
    #expect(
      result.mismatch?.hasPrefix("seeding: reset_obs[0]") == true, "\(result.mismatch ?? "nil")")
  }

  @Test func malformedFilesGiveErrorsNamingTheProblem() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ref-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cases = [
      ("truncated.json", #"{"env": "CartPole-v1", "seed": 0, "reset_obs": [0.1"#, "not valid JSON"),
      (
        "missing.json", #"{"env": "CartPole-v1", "seed": 0, "reset_obs": [], "steps": []}"#,
        "missing key 'reset_state'"
      ),
      (
        "type.json",
        #"{"env": "CartPole-v1", "seed": "zero", "reset_obs": [], "reset_state": [], "steps": []}"#,
        "wrong type at 'seed'"
      ),
    ]
    for (name, text, expected) in cases {
      let url = dir.appendingPathComponent(name)
      try text.write(to: url, atomically: true, encoding: .utf8)
      #expect {
        _ = try ReferenceTrajectory.load(from: url)
      } throws: { error in
        "\(error)".contains(expected) && "\(error)".contains(name)
      }
    }
  }
}
