import Environments
import Foundation
import Testing

@testable import RankLab

/// Every finished run leaves `policy.rlck`, which reloads into an agent that acts exactly as the
/// trained one did, and bad policy files fail with one line naming the file.
@Suite(.serialized) struct PolicyFileTests {
  @Test func finishedRunLeavesAPolicyThatActsAsTheTrainedAgent() throws {
    // No periodic checkpoints: the policy file is written all the same.
    let text = TrainingRunTests.smallConfig.replacingOccurrences(
      of: "checkpoint: {every: 1000}", with: "checkpoint: {every: 0}")
    let run = try TrainingRunTests.makeRun(try temporaryDirectory(), text: text)
    let summary = try run.run()
    #expect(run.directory.checkpointFiles().isEmpty)
    let policy = try PolicyFile.load(run.directory.url.path)
    #expect(policy.meta.algorithm == "dqn" && policy.meta.env.id == "gridworld/four-rooms")
    // The final evaluation's episodes, replayed with the loaded policy, give its return.
    var env = try EnvironmentCatalog.make(
      id: "gridworld/four-rooms", options: run.config.env.options)
    var seedSource = PCG64(seed: 0, stream: [6])
    let seeds = (0..<3).map { _ in seedSource.next() >> 1 }
    let replayed = try Evaluation.run(&env, agent: policy.agent, episodes: 3, seeds: seeds)
    #expect(replayed.mean == summary.finalReturnMean)
    let evaluated = try PolicyEvaluation.run(policy, env: policy.meta.env, episodes: 4)
    let again = try PolicyEvaluation.run(
      try PolicyFile.load(run.directory.policy.path), env: policy.meta.env, episodes: 4)
    #expect(evaluated.returnMean == again.returnMean && evaluated.episodes == 4)
  }

  @Test func badPolicyFilesAreOneLineErrorsNamingTheFile() throws {
    let directory = try temporaryDirectory()
    #expect(throws: PolicyError.self) { _ = try PolicyFile.load(directory.path) }
    do { _ = try PolicyFile.load(directory.path) } catch let error as PolicyError {
      #expect(error.description.contains("no policy.rlck"))
    }
    let truncated = directory.appendingPathComponent("policy.rlck")
    try Data([0x52, 0x4c, 0x43]).write(to: truncated)
    do {
      _ = try PolicyFile.load(truncated.path)
      Issue.record("a truncated policy loaded")
    } catch let error as PolicyError {
      #expect(error.description.hasPrefix(truncated.path) && !error.description.contains("\n"))
    }
  }
}

@Suite struct AgentCatalogTests {
  @Test func valueBasedAgentsRefuseContinuousActionsInOneLine() throws {
    let loaded = try ConfigLoader.load(
      ExperimentConfig.self, text: "env: {id: Pendulum-v1}\nagent: {algorithm: dqn}",
      file: "c.yaml")
    let directory = try temporaryDirectory()
    let run = TrainingRun(
      config: loaded.config, variant: "", seed: 0,
      directory: RunDirectory(url: directory.appendingPathComponent("run")),
      resolvedYAML: loaded.resolvedYAML)
    run.showProgress = false
    do {
      try run.run()
      Issue.record("DQN ran on a continuous action space")
    } catch let error as RunError {
      #expect(error.description.contains("needs a discrete action space"))
      #expect(error.description.contains("use algorithm: sac"))
    }
    // Nothing was written.
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("run").path))
  }

  @Test func everyAlgorithmHasAnAgent() {
    for algorithm in AgentConfig.Algorithm.allCases {
      #expect(AgentCatalog.entries.contains { $0.algorithms.contains(algorithm) })
    }
  }
}
