import Foundation
import Testing

@testable import Environments

/// `params` changes the physics by Gymnasium's attribute names: Gymnasium's own trajectories with
/// changed physics (shared/reference/gymnasium-params) replay exactly, defaults change nothing,
/// and a misspelt parameter is an error listing the real ones.
@Suite struct PhysicalParameterTests {
  static let files: [URL] = {
    let dir = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/gymnasium-params")
    return (try! FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil))
      .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
  }()

  @Test func everyEnvironmentHasAChangedPhysicsTrajectory() throws {
    #expect(Self.files.count == 10)
    let trajectories = try Self.files.map { try ReferenceTrajectory.load(from: $0) }
    #expect(trajectories.allSatisfy { !($0.params ?? [:]).isEmpty })
    #expect(Set(trajectories.map(\.env)).count == 5)
  }

  @Test(arguments: files)
  func changedPhysicsMatchesGymnasium(file: URL) throws {
    let trajectory = try ReferenceTrajectory.load(from: file)
    let result = try ReferenceChecker.check(trajectory, file: file.path)
    #expect(result.mismatch == nil, "\(file.lastPathComponent): \(result.mismatch ?? "")")
    // The same trajectory without its params does not match: the parameters are really used.
    var plain = trajectory
    plain.params = nil
    #expect(try ReferenceChecker.check(plain, file: file.path).mismatch != nil)
  }

  @Test func defaultParametersChangeNothing() throws {
    for entry in EnvironmentCatalog.classicControlEntries {
      let defaults = Dictionary(uniqueKeysWithValues: entry.parameters.map { ($0.name, $0.value) })
      var a = try entry.make(EnvironmentOptions())
      var b = try entry.make(EnvironmentOptions(params: defaults))
      let action: Action =
        if case .box(let low, _) = a.actionSpace {
          .continuous([Float](repeating: 0.3, count: low.count))
        } else { .discrete(1) }
      var oa = a.reset(seed: 3)
      var ob = b.reset(seed: 3)
      for _ in 0..<50 {
        let sa = oa.withUnsafeMutableBufferPointer { a.step(action, into: $0) }
        let sb = ob.withUnsafeMutableBufferPointer { b.step(action, into: $0) }
        #expect(oa == ob && sa.reward == sb.reward, "\(entry.id)")
        if sa.end.isEnd { break }
      }
    }
  }

  @Test func unknownOrBadParametersAreErrorsNamingTheParameters() {
    #expect(
      throws: EnvironmentError.invalidOption(
        "CartPole-v1 has no parameter 'lenght'; its parameters: gravity, masscart, masspole, length, force_mag, tau"
      )
    ) { _ = try EnvironmentCatalog.make(id: "CartPole-v1", options: .init(params: ["lenght": 1])) }
    #expect(throws: EnvironmentError.self) {
      _ = try EnvironmentCatalog.make(id: "Pendulum-v1", options: .init(params: ["m": -1]))
    }
    #expect(throws: EnvironmentError.self) {
      _ = try EnvironmentCatalog.make(id: "gridworld/four-rooms", options: .init(params: ["g": 1]))
    }
  }
}
