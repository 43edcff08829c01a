import Environments
import Foundation
import Testing

@testable import RankLab

/// `ranklab bench learner` builds the learner through the agent catalog, as a run does, and
/// states a floor only for the GEMMs it knows the step computes.
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
    // The floor follows what the step computes: FQI's target forward; none for Q* targets (a
    // table lookup, which needs the gridworld's model: built as a run builds it); a third
    // forward for double Q; DR3's second backward.
    #expect(try LearnerBenchmark.gemmCounts(experiment) == (2, 1, 1))
    experiment.agent.fqi?.target = .optimal
    #expect(try LearnerBenchmark.gemmCounts(experiment) == (1, 1, 1))
    _ = try LearnerBenchmark.run(experiment: experiment, steps: 2)
    experiment.agent.fqi?.target = .bootstrap
    experiment.agent.dqn?.doubleQ = true
    #expect(try LearnerBenchmark.gemmCounts(experiment) == (3, 1, 1))
    experiment.agent.dqn?.regularizer.kind = .dr3
    #expect(try LearnerBenchmark.gemmCounts(experiment) == (3, 2, 2))
    // What the floor cannot state is refused: one hidden layer, extra networks, other learners.
    experiment.agent.network.hidden = [16]
    #expect(throws: RunError.self) { _ = try LearnerBenchmark.gemmCounts(experiment) }
    experiment.agent = AgentConfig.defaults(for: .sac)
    #expect(try LearnerBenchmark.gemmCounts(experiment) == (8, 5, 5))
    experiment.safety.method = .csc
    #expect(throws: RunError.self) { _ = try LearnerBenchmark.gemmCounts(experiment) }
    experiment.safety.method = .none
    experiment.agent = AgentConfig.defaults(for: .distill)
    #expect(throws: RunError.self) {
      _ = try LearnerBenchmark.run(experiment: experiment, steps: 1)
    }
  }
}
