import Environments
import Foundation
import Testing

@testable import RankLab

/// SMERL on SAC: every sampled transition sees its own episode's latent, the bonus is paid
/// exactly where the indicator says, the discriminator learns, state round-trips, and `adapt`
/// picks the latent that still works.
@Suite struct SMERLTests {
  static func config(mode: String = "smerl", latents: Int = 3, extra: String = "") throws
    -> ExperimentConfig
  {
    try ConfigLoader.load(
      ExperimentConfig.self,
      text: """
        env: {id: gridworld/two-routes}
        agent: {algorithm: sac, network: {hidden: [16]}, batch_size: 48, learning_starts: 0}
        smerl:
          mode: \(mode)
          latents: \(latents)
          alpha: 0.5
          epsilon: 0.05
          discriminator: {hidden: [16]}
        \(extra)
        """, file: "smerl.yaml"
    ).config
  }

  static func agent(_ config: ExperimentConfig, seed: Int = 0) throws -> (
    SMERLAgent, ReplayBuffer, Gridworld
  ) {
    let env = try #require(
      try EnvironmentCatalog.make(id: config.env.id, options: config.env.options) as? Gridworld)
    let agent = try SMERLAgent(
      context: AgentContext(
        config: config, observationSpace: env.observationSpace, actionSpace: env.actionSpace,
        seed: seed))
    let replay = try ReplayBuffer(
      config: config.replay, observationCount: env.observationSpace.flatCount,
      actionSpace: env.actionSpace, discount: 0.99)
    return (agent, replay, env)
  }

  /// Plays training episodes as the loop does (`lengths[e]` steps each, the last one left
  /// running), each action chosen by `policy(latent, t)`, and tells the agent each finished
  /// episode's return `returns[e]`. Returns every stored transition's latent and episode.
  @discardableResult
  static func play(
    _ agent: SMERLAgent, _ replay: ReplayBuffer, _ env: Gridworld, lengths: [Int],
    returns: [Double], policy: (Int, Int) -> Int
  ) -> [(latent: Int, episode: Int)] {
    var env = env
    var transitions: [(latent: Int, episode: Int)] = []
    for (e, length) in lengths.enumerated() {
      agent.episodeStarted(training: true)
      var observation = env.reset(seed: UInt64(e))
      var next = observation
      for t in 0..<length {
        let action = Action.discrete(policy(agent.trainingLatent, t))
        _ = observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
        var step = next.withUnsafeMutableBufferPointer { env.step(action, into: $0) }
        // The episode ends where the test says, whatever the environment did.
        step.end = t == length - 1 ? .truncated : .none
        observation.withUnsafeBufferPointer { o in
          next.withUnsafeBufferPointer { n in
            replay.add(
              observation: o, action: action, reward: step.reward, cost: 0, end: step.end,
              nextObservation: n)
          }
        }
        transitions.append((agent.trainingLatent, e))
        observation = next
      }
      if e < returns.count {
        agent.episodeEnded(return: returns[e], cost: 0, length: length)
      }
    }
    return transitions
  }

  @Test(arguments: ["smerl", "diayn"])
  func everyRowSeesItsEpisodesLatentAndEarnsTheBonusOnlyWhereTheIndicatorSays(mode: String)
    throws
  {
    let (agent, replay, env) = try Self.agent(try Self.config(mode: mode))
    // Five finished episodes (R* = 0.9, ε = 0.05: episodes 1 and 3 are near-optimal) and a
    // running one.
    let returns = [0.2, 0.9, 0.5, 0.86, -1.0]
    var rng = PCG64(seed: 3)
    let transitions = Self.play(
      agent, replay, env, lengths: [7, 9, 5, 8, 6, 4], returns: returns
    ) { _, _ in rng.nextInt(below: 4) }
    #expect(agent.skills.targetReturn == 0.9)
    let d = env.observationSpace.flatCount
    let w = d + 3
    let before = MLP(copying: agent.skills.discriminator)
    var sampler = PCG64(seed: 5)
    replay.sample(into: &agent.sac.storedBatch, rng: &sampler)
    let stored = agent.sac.storedBatch
    agent.skills.relabel(stored, from: replay, into: &agent.sac.batch)
    let batch = agent.sac.batch
    let work = MLPWorkspace(for: before, capacity: 1)
    var logits = [Float](repeating: 0, count: 3)
    var logQ = logits
    for i in 0..<stored.count {
      let (latent, episode) = transitions[stored.indices[i]]
      for j in 0..<3 {
        #expect(batch.observations[i * w + d + j] == (j == latent ? 1 : 0))
        #expect(batch.nextObservations[i * w + d + j] == (j == latent ? 1 : 0))
      }
      for k in 0..<d { #expect(batch.observations[i * w + k] == stored.observations[i * d + k]) }
      let earns = mode == "diayn" || (episode < returns.count && returns[episode] >= 0.85)
      let bonus = batch.rewards[i] - stored.rewards[i]
      if earns {
        Array(stored.nextObservations[i * d..<(i + 1) * d]).withUnsafeBufferPointer { s in
          logits.withUnsafeMutableBufferPointer { work.forwardSingle(before, input: s, output: $0) }
        }
        logits.withUnsafeBufferPointer { z in
          logQ.withUnsafeMutableBufferPointer {
            Losses.logSoftmax(z, rows: 1, columns: 3, into: $0)
          }
        }
        let expected = 0.5 * (logQ[latent] + Float(log(3.0)))
        #expect(abs(bonus - expected) < 1e-4, "row \(i) episode \(episode)")
      } else {
        #expect(bonus == 0, "row \(i) episode \(episode) earns nothing")
      }
      #expect(batch.terminals[i] == stored.terminals[i])
      #expect(batch.actionIndices[i] == stored.actionIndices[i])
    }
    // The minibatch covered both kinds of rows.
    let kinds = Set(
      (0..<stored.count).map { returns.indices.contains(transitions[stored.indices[$0]].episode) })
    #expect(kinds.count == 2)
  }

  @Test func nearOptimalFractionDrawsThatShareOfEveryMinibatchFromNearOptimalEpisodes() throws {
    var config = try Self.config(mode: "smerl")
    config.smerl.nearOptimalFraction = 0.25
    let (agent, replay, env) = try Self.agent(config)
    // One short near-optimal episode (return 0.9 = R*, 6 of 250 finished transitions) among
    // long failures, and a running episode.
    let lengths = [60, 6, 60, 60, 64, 10]
    let returns = [-1.0, 0.9, -1.0, -0.5, -1.0]
    var rng = PCG64(seed: 2)
    let transitions = Self.play(agent, replay, env, lengths: lengths, returns: returns) { _, _ in
      rng.nextInt(below: 4)
    }
    var sampler = PCG64(seed: 7)
    var nearOptimal = 0
    var rows = 0
    var earned = 0.0
    let batches = 200
    for _ in 0..<batches {
      replay.sample(into: &agent.sac.storedBatch, rng: &sampler)
      agent.skills.resample(&agent.sac.storedBatch, from: replay, rng: &sampler)
      let stored = agent.sac.storedBatch
      agent.skills.relabel(stored, from: replay, into: &agent.sac.batch)
      earned += agent.skills.takeFigures().first { $0.key == "smerl/bonus_fraction" }!.value
      let d = env.observationSpace.flatCount
      for i in 0..<stored.count {
        let t = stored.indices[i]
        // A redrawn row is the stored transition t, whole.
        var fresh = replay.makeBatch(size: 1)
        replay.gather(positions: [t - replay.firstIndex], into: &fresh)
        #expect(Array(stored.observations[i * d..<(i + 1) * d]) == fresh.observations)
        #expect(stored.rewards[i] == fresh.rewards[0] && stored.weights[i] == 1)
        if transitions[t].episode == 1 { nearOptimal += 1 }
        // The first quarter of the rows (12 of 48) always comes from the near-optimal episode.
        if i < 12 { #expect(transitions[t].episode == 1, "row \(i)") }
      }
      rows += stored.count
    }
    // 12 of 48 rows, plus the uniform rows' 6/260 chance: about 27 %, against 2.3 % without.
    let share = Double(nearOptimal) / Double(rows)
    #expect(share > 0.25 && share < 0.30, "\(share)")
    #expect(abs(earned / Double(batches) - share) < 1e-9)
    // Off by default: the same draw leaves every row uniform.
    let (plain, plainReplay, _) = try Self.agent(try Self.config(mode: "smerl"))
    var again = PCG64(seed: 2)
    Self.play(plain, plainReplay, env, lengths: lengths, returns: returns) { _, _ in
      again.nextInt(below: 4)
    }
    var a = PCG64(seed: 7)
    var b = PCG64(seed: 7)
    plainReplay.sample(into: &plain.sac.storedBatch, rng: &a)
    let before = plain.sac.storedBatch.indices
    plain.skills.resample(&plain.sac.storedBatch, from: plainReplay, rng: &a)
    #expect(plain.sac.storedBatch.indices == before)
    plainReplay.sample(into: &plain.sac.storedBatch, rng: &b)
    // ... and draws nothing from SAC's stream.
    #expect(a.nextInt(below: 1 << 30) == b.nextInt(below: 1 << 30))
  }

  @Test func episodeCreditPaysTheEpisodesMeanBonusOnItsLastTransitionOnly() throws {
    var config = try Self.config(mode: "smerl")
    config.smerl.credit = .episode
    config.smerl.nearOptimalFraction = 0.5
    let (agent, replay, env) = try Self.agent(config)
    // As above: episodes 1 and 3 are near-optimal (R* = 0.9, ε = 0.05).
    let lengths = [7, 9, 5, 8, 6, 4]
    let returns = [0.2, 0.9, 0.5, 0.86, -1.0]
    var rng = PCG64(seed: 3)
    let transitions = Self.play(agent, replay, env, lengths: lengths, returns: returns) { _, _ in
      rng.nextInt(below: 4)
    }
    let firsts = lengths.indices.map { lengths[..<$0].reduce(0, +) }
    /// α · mean over episode e's next states of log q(z|s′) + log 3, from q as `before`.
    func expected(_ e: Int, _ before: MLP) -> Float {
      let work = MLPWorkspace(for: before, capacity: 1)
      var logits = [Float](repeating: 0, count: 3)
      var logQ = logits
      var sum: Float = 0
      let latent = transitions[firsts[e]].latent
      var one = replay.makeBatch(size: 1, extras: [])
      for t in firsts[e]..<firsts[e] + lengths[e] {
        replay.gather(positions: [t - replay.firstIndex], into: &one)
        one.nextObservations.withUnsafeBufferPointer { s in
          logits.withUnsafeMutableBufferPointer { work.forwardSingle(before, input: s, output: $0) }
        }
        logits.withUnsafeBufferPointer { z in
          logQ.withUnsafeMutableBufferPointer {
            Losses.logSoftmax(z, rows: 1, columns: 3, into: $0)
          }
        }
        sum += logQ[latent] + Float(log(3.0))
      }
      return 0.5 * sum / Float(lengths[e])
    }
    var sampler = PCG64(seed: 5)
    var paid = Set<Int>()
    for _ in 0..<4 {
      let before = MLP(copying: agent.skills.discriminator)
      replay.sample(into: &agent.sac.storedBatch, rng: &sampler)
      agent.skills.resample(&agent.sac.storedBatch, from: replay, rng: &sampler)
      let stored = agent.sac.storedBatch
      agent.skills.relabel(stored, from: replay, into: &agent.sac.batch)
      for i in 0..<stored.count {
        let t = stored.indices[i]
        let e = transitions[t].episode
        let bonus = agent.sac.batch.rewards[i] - stored.rewards[i]
        if (e == 1 || e == 3) && t == firsts[e] + lengths[e] - 1 {
          #expect(abs(bonus - expected(e, before)) < 1e-4, "row \(i) episode \(e)")
          paid.insert(e)
        } else {
          #expect(bonus == 0, "row \(i) episode \(e) step \(t - firsts[e]) earns nothing")
        }
      }
    }
    // The minibatches held the last transition of both near-optimal episodes.
    #expect(paid == [1, 3])
  }

  @Test func firstVisitCreditPaysNoTransitionBackIntoAStateTheEpisodeWasIn() throws {
    var config = try Self.config(mode: "smerl")
    config.smerl.credit = .firstVisit
    let (agent, replay, env) = try Self.agent(config)
    // From S: down (into the wall: stays, so the first step already returns to S), right,
    // right, down (the wall again), right, left (back), right (back), right; a near-optimal
    // episode (its return is R*), then a running one.
    let actions = [2, 1, 1, 2, 1, 3, 1, 1]
    let back = [true, false, false, true, false, true, true, false]
    Self.play(agent, replay, env, lengths: [8, 3], returns: [0.9]) { _, t in actions[t % 8] }
    let revisits = agent.skills.revisits(ofEpisode: 0, replay: replay)
    #expect((0..<8).map { revisits.contains($0) } == back)
    // Found once and kept in the (checkpointed) episode record.
    #expect(agent.skills.state.episodes[0].revisits == revisits)
    var sampler = PCG64(seed: 11)
    var seen = Set<Int>()
    for _ in 0..<4 {
      replay.sample(into: &agent.sac.storedBatch, rng: &sampler)
      let stored = agent.sac.storedBatch
      agent.skills.relabel(stored, from: replay, into: &agent.sac.batch)
      for i in 0..<stored.count where stored.indices[i] < 8 {
        let t = stored.indices[i]
        let bonus = agent.sac.batch.rewards[i] - stored.rewards[i]
        #expect((bonus == 0) == back[t], "step \(t): bonus \(bonus)")
        seen.insert(t)
      }
    }
    #expect(seen.count == 8)
  }

  @Test func discriminatorLearnsToTellLatentsApartByTheStatesTheyVisit() throws {
    var config = try Self.config(latents: 2)
    config.smerl.discriminator.learningRate = 1e-3
    let (agent, replay, env) = try Self.agent(config)
    // Latent 0 walks right along the short route, latent 1 up the long one.
    Self.play(
      agent, replay, env, lengths: Array(repeating: 4, count: 40),
      returns: Array(repeating: 0, count: 40)
    ) { latent, _ in latent == 0 ? 1 : 0 }
    var sampler = PCG64(seed: 1)
    var accuracy = 0.0
    var loss = Double.infinity
    for round in 0..<300 {
      replay.sample(into: &agent.sac.storedBatch, rng: &sampler)
      agent.skills.relabel(agent.sac.storedBatch, from: replay, into: &agent.sac.batch)
      let figures = agent.skills.takeFigures()
      if round == 299 {
        accuracy = figures.first { $0.key == "smerl/discriminator_accuracy" }?.value ?? 0
        loss = figures.first { $0.key == "smerl/discriminator_loss" }?.value ?? .infinity
      }
    }
    // Every next state of one latent differs from the other's: separable, from chance (log 2).
    #expect(accuracy > 0.95 && loss < 0.3)
  }

  @Test(arguments: [
    (0.0, SMERLConfig.Credit.step), (0.25, .step), (0.25, .firstVisit), (0.25, .episode),
  ])
  func sameSeedSameNumbersAndCheckpointsRoundTrip(
    nearOptimalFraction: Double, credit: SMERLConfig.Credit
  ) throws {
    var config = try Self.config()
    config.smerl.nearOptimalFraction = nearOptimalFraction
    config.smerl.credit = credit
    var agents: [(SMERLAgent, ReplayBuffer)] = []
    for _ in 0..<2 {
      let (agent, replay, env) = try Self.agent(config, seed: 4)
      var rng = PCG64(seed: 8)
      Self.play(agent, replay, env, lengths: [30, 30, 30, 10], returns: [0.1, 0.3, 0.2]) { _, _ in
        rng.nextInt(below: 4)
      }
      _ = agent.train(replay: replay, gradientSteps: 4, step: 1)
      agents.append((agent, replay))
    }
    let (a, replay) = agents[0]
    #expect(a.skills.discriminator.parameters == agents[1].0.skills.discriminator.parameters)
    #expect(a.sac.actor.parameters == agents[1].0.sac.actor.parameters)
    var archive = CheckpointArchive()
    try a.save(into: &archive)
    let (c, _, _) = try Self.agent(config, seed: 99)
    try c.load(from: archive)
    #expect(c.skills.state.episodes == a.skills.state.episodes)
    #expect(c.trainingLatent == a.trainingLatent)
    _ = a.train(replay: replay, gradientSteps: 2, step: 2)
    _ = c.train(replay: replay, gradientSteps: 2, step: 2)
    #expect(c.skills.discriminator.parameters == a.skills.discriminator.parameters)
    #expect(c.sac.actor.parameters == a.sac.actor.parameters)
  }

  @Test func badSMERLConfigsAreOneLineErrors() throws {
    for (text, expected) in [
      ("agent: {algorithm: dqn}\nsmerl: {mode: smerl}", "stands on SAC"),
      ("agent: {algorithm: sac}\nsmerl: {mode: smerl, latents: 1}", "smerl.latents"),
      ("agent: {algorithm: sac}\nsmerl: {mode: diayn, target_return: best}", "auto or a number"),
      ("agent: {algorithm: sac}\nreplay: {n_step: 3}\nsmerl: {mode: smerl}", "replay.n_step"),
      ("agent: {algorithm: sac}\nsmerl: {mode: smerl, near_optimal_fraction: 1}", "[0, 1)"),
    ] {
      #expect {
        _ = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "s.yaml")
      } throws: { error in
        "\(error)".contains(expected) && !"\(error)".contains("\n")
      }
    }
    // SMERL's own keys do not stop its baselines: one config serves every mode.
    _ = try ConfigLoader.load(
      ExperimentConfig.self,
      text: "agent: {algorithm: sac}\nsmerl: {mode: diayn, near_optimal_fraction: 0.25}",
      file: "s.yaml")
    let config = try Self.config(extra: "")
    var blind = config
    blind.smerl.discriminator.inputs = [0, 500]
    #expect {
      _ = try Self.agent(blind)
    } throws: { error in
      "\(error)".contains("index 500 is outside")
    }
  }

  /// A scripted two-latent policy on the two-routes map: latent 0 walks right (the short
  /// route), latent 1 takes the long route over the top.
  final class ScriptedRoutes: Agent {
    var selected: Int?
    var latent = 0
    var t = 0
    var latentCount: Int { 2 }
    func selectLatent(_ latent: Int?) { selected = latent }
    func episodeStarted(training: Bool) {
      latent = selected ?? 0
      t = 0
    }
    func act(_ observation: UnsafeBufferPointer<Float>, explore: Bool) -> Action {
      defer { t += 1 }
      if latent == 0 { return .discrete(1) }
      return .discrete(t < 3 ? 0 : t < 13 ? 1 : 2)
    }
    func update(replay: ReplayBuffer, step: Int) -> [(key: String, value: Double)]? { nil }
    func train(replay: ReplayBuffer, gradientSteps: Int, step: Int) -> [(
      key: String, value: Double
    )] { [] }
    var featureCount: Int { 1 }
    func features(
      of observations: UnsafeBufferPointer<Float>, count: Int,
      into features: UnsafeMutableBufferPointer<Float>
    ) {}
    var recordedFields: [EpisodeHeader.ExtraField] { [] }
    func recordedValues(_ observation: UnsafeBufferPointer<Float>, action: Action) -> [[Float]] {
      []
    }
    var samplingSeconds: Double { 0 }
    func save(into archive: inout CheckpointArchive) throws {}
    func load(from archive: CheckpointArchive) throws {}
    func savePolicy(into archive: inout CheckpointArchive) throws {}
    func loadPolicy(from archive: CheckpointArchive) throws {}
  }

  @Test func adaptChoosesTheLatentWhoseRouteIsStillOpen() throws {
    let env = try EnvironmentCatalog.make(id: "gridworld/two-routes")
    let config = try Self.config()
    let policy = PolicyFile.Loaded(
      agent: ScriptedRoutes(),
      meta: PolicyFile.Meta(
        format: PolicyFile.formatVersion, algorithm: "sac", observationSpace: env.observationSpace,
        actionSpace: env.actionSpace, agent: config.agent, env: config.env, steps: 1,
        smerl: config.smerl),
      url: URL(fileURLWithPath: "/scripted"))
    for (id, chosen, expected) in [
      ("gridworld/two-routes", 0, 0.91), ("gridworld/two-routes-blocked", 1, 0.85),
      ("gridworld/two-routes-upper-blocked", 0, 0.91),
    ] {
      var test = config.env
      test.id = id
      let result = try PolicyAdaptation.run(policy, env: test, trials: 2, episodes: 3)
      #expect(result.chosen == chosen, "\(id)")
      #expect(abs(result.returnMean - expected) < 1e-9, "\(id)")
      #expect(result.latents.count == 2)
    }
  }

  @Test func aSMERLRunEvaluatesAndRecordsEveryLatentAndSavesAPolicyWithThem() throws {
    let text = """
      name: tiny
      steps: 1200
      env: {id: gridworld/two-routes}
      agent: {algorithm: sac, network: {hidden: [16]}, batch_size: 16, learning_starts: 200}
      smerl: {mode: smerl, latents: 2, discriminator: {hidden: [16]}}
      replay: {capacity: 2000}
      eval: {every: 600, episodes: 1, final_episodes: 2}
      rank: {every: 600, probe_size: 32}
      checkpoint: {every: 600}
      log: {every: 300}
      """
    let run = try TrainingRunTests.makeRun(try temporaryDirectory(), text: text)
    let summary = try run.run()
    #expect(summary.latentReturnMeans?.count == 2)
    let metrics = try String(contentsOf: run.directory.metrics, encoding: .utf8)
    for key in [
      "eval/latent_0/return_mean", "eval/latent_1/final_return_mean",
      "smerl/discriminator_accuracy", "smerl/bonus_fraction", "rank/srank",
    ] {
      #expect(metrics.contains("\"\(key)\""), "\(key)")
    }
    for latent in 0..<2 {
      let url = run.directory.url.appendingPathComponent(
        "replays/final-latent\(latent)-00.rlep")
      let episode = try EpisodeReader.read(from: url)
      #expect(episode.header.extras.map(\.name).contains("latent"))
    }
    let policy = try PolicyFile.load(run.directory.url.path)
    #expect(policy.agent.latentCount == 2 && policy.meta.smerl?.mode == .smerl)
  }
}
