import Foundation
import Testing

@testable import RankLab

/// The shipped configs load, and the study's sweep over K and maps is what its comments say.
@Suite struct StudyConfigTests {
  static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Configs")

  static func variants(_ name: String, overrides: [String] = []) throws -> [ConfigLoader.Variant<
    ExperimentConfig
  >] {
    let url = configs.appendingPathComponent(name)
    return try ConfigLoader.loadVariants(
      ExperimentConfig.self, text: String(contentsOf: url, encoding: .utf8), file: url.path,
      overrides: overrides)
  }

  @Test func everyShippedConfigLoads() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.configs.path)
      .filter { $0.hasSuffix(".yaml") }
    #expect(names.count >= 10)
    for name in names { #expect(throws: Never.self) { _ = try Self.variants(name) } }
  }

  @Test func gradientStepSweepIsEveryKTimesEveryMapAndSeedsNarrowWithoutDroppingMaps() throws {
    let all = try Self.variants("fqi-gridworld-gradsteps.yaml")
    #expect(all.count == 20)
    #expect(all.first?.label == "K=16,map=0" && all.last?.label == "K=256,map=3")
    for variant in all {
      let config = variant.loaded.config
      let k = try #require(config.agent.fqi?.k)
      #expect(variant.label.hasPrefix("K=\(k),"))
      #expect(config.agent.gradientSteps == k && config.agent.learningRate == 5e-3)
      #expect(config.steps / config.agent.trainFreq == 600)  // fitting iterations
      #expect(config.seeds == [0, 1, 2])
    }
    #expect(Set(all.map { $0.loaded.config.env.options.mapSeed }) == [0, 1, 2, 3])
    let narrowed = try Self.variants("fqi-gridworld-gradsteps.yaml", overrides: ["seeds=[1]"])
    #expect(narrowed.count == 20 && narrowed.allSatisfy { $0.loaded.config.seeds == [1] })
    let qstar = try Self.variants("qstar-gridworld.yaml")
    #expect(qstar.map(\.label) == all.map(\.label))
    #expect(qstar.allSatisfy { $0.loaded.config.agent.fqi?.target == .optimal })
    let equal = try Self.variants("fqi-gridworld-equal-steps.yaml")
    #expect(
      equal.allSatisfy {
        $0.loaded.config.steps / $0.loaded.config.agent.trainFreq
          * $0.loaded.config.agent.gradientSteps == 38400
      })
  }
}
