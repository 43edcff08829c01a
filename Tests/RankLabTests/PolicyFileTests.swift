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

  /// The floats an agent's greedy policy is made of on each observation: DQN's Q-values; SAC's
  /// greedy action and the actor's recorded fields (policy mean and log σ, or the action
  /// probabilities). `critic`: SAC's recorded critic field instead (q_value or q_values).
  static func policyNumbers(_ agent: any Agent, on observations: [[Float]], critic: Bool = false)
    -> [Float]
  {
    observations.flatMap { observation in
      observation.withUnsafeBufferPointer { o -> [Float] in
        if let q = agent as? QLearningAgent { return q.qValues(o) }
        let action = agent.act(o, explore: false)
        let recorded = agent.recordedValues(o, action: action)
        if critic { return recorded.last ?? [] }
        let greedy: [Float]
        switch action {
        case .discrete(let k): greedy = [Float(k)]
        case .continuous(let values): greedy = values
        }
        return greedy + recorded.dropLast().flatMap { $0 }
      }
    }
  }

  /// An agent trained directly (no run), written with `PolicyFile.write` and loaded back,
  /// computes bit for bit what the trained agent computes on 50 observations it never trained
  /// on; the agent `load` builds before it reads the file (same config, seed 0) computes
  /// something else, so the comparison can fail.
  @Test(arguments: [("dqn", "CartPole-v1"), ("sac", "Pendulum-v1"), ("sac", "CartPole-v1")])
  func trainedAgentReloadsBitForBit(algorithm: String, env: String) throws {
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text:
        "env: {id: \(env)}\nagent: {algorithm: \(algorithm), network: {hidden: [16, 16]}, batch_size: 16, learning_starts: 0}",
      file: "p.yaml"
    ).config
    var environment = try EnvironmentCatalog.make(id: env, options: config.env.options)
    let spaces = (environment.observationSpace, environment.actionSpace)
    let context = AgentContext(
      config: config, observationSpace: spaces.0, actionSpace: spaces.1, seed: 0)
    let trained = try AgentCatalog.make(context)
    let replay = try SACAgentTests.randomReplay(config, &environment, count: 300)
    _ = trained.train(replay: replay, gradientSteps: 50, step: 1)
    let url = try temporaryDirectory().appendingPathComponent(PolicyFile.name)
    try PolicyFile.write(
      agent: trained, config: config, observationSpace: spaces.0, actionSpace: spaces.1, to: url)
    let loaded = try PolicyFile.load(url.path)
    #expect(loaded.meta.algorithm == algorithm && loaded.meta.env.id == env)

    var rng = PCG64(seed: 11)
    var observation = environment.reset(seed: 77)
    var observations: [[Float]] = []
    for _ in 0..<50 {
      observations.append(observation)
      let action = environment.actionSpace.randomAction(&rng)
      let step = observation.withUnsafeMutableBufferPointer { environment.step(action, into: $0) }
      if step.end.isEnd { observation = environment.reset(seed: nil) }
    }
    let expected = Self.policyNumbers(trained, on: observations)
    #expect(expected.count >= 50)
    #expect(Self.policyNumbers(loaded.agent, on: observations) == expected)
    let untrained = try AgentCatalog.make(context)
    let changed = zip(Self.policyNumbers(untrained, on: observations), expected).filter {
      $0 != $1
    }
    #expect(
      changed.count > expected.count / 2, "training changed \(changed.count) of \(expected.count)")
    if algorithm == "sac" {
      let same =
        Self.policyNumbers(loaded.agent, on: observations, critic: true)
        == Self.policyNumbers(trained, on: observations, critic: true)
      #expect(
        same, "the reloaded SAC policy's recorded critic values differ from the trained agent's")
    }
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
