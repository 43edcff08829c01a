import Environments
import Foundation
import Testing

@testable import RankLab

/// `ranklab bench learner` builds the learner through the agent catalog, as a run does.
@Suite struct LearnerBenchmarkTests {
  @Test func timesTheLearnerAConfigBuildsAndRefusesOthers() throws {
    var experiment = ExperimentConfig()
    experiment.env.id = "gridworld/fu"
    experiment.env.options.observation = .rowColOnehot
    experiment.agent = AgentConfig.defaults(for: .fqi)
    experiment.agent.network.hidden = [16, 16]
    experiment.agent.batchSize = 8
    let result = try LearnerBenchmark.run(experiment: experiment, steps: 5)
    #expect(result.gradientStepMicroseconds > 0 && result.gemmFloorMicroseconds > 0)
    #expect(LearnerBenchmark.gemmCounts(.sac)! == (8, 5, 5))
    experiment.agent = AgentConfig.defaults(for: .distill)
    #expect(throws: RunError.self) {
      _ = try LearnerBenchmark.run(experiment: experiment, steps: 1)
    }
  }
}
