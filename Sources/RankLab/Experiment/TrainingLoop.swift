import Environments
import Foundation

/// The loop every agent shares, with all of its state in one `Codable` value so that a
/// checkpoint restores it exactly.
struct TrainingLoop<E: Environment> {
  /// Everything that changes as the loop runs (besides the agent and the replay buffer).
  struct State: Codable {
    var step = 0
    var env: E
    var evalEnv: E
    var observation: [Float]
    var episodeReturn = 0.0
    /// Safety cost of the running episode.
    var episodeCost = 0.0
    var episodeLength = 0
    var episodes = 0
    var failuresTotal = 0.0
    /// Returns of episodes finished since the last log row.
    var finishedReturns: [Double] = []
    /// Their summed costs (optional: checkpoints from before it decode).
    var finishedCosts: [Double]?
    /// Training metrics summed since the last log row, in first-seen key order.
    var trainKeys: [String] = []
    var trainSums: [Double] = []
    var trainUpdates = 0
    var lastEvalReturn: Double?
    var lastSrank: Int?
    var probeRNG: PCG64
    var behaviourRNG: PCG64
    var datasetCollected = false
    /// The largest |reward| of the model (a tabular environment) or else of the training data,
    /// and the largest |Q| measured on the probe: a run whose |Q| passes the value bound
    /// (`RunSummary.valueBound`) by more than a tenth has diverged.
    var rewardAbsMax = 0.0
    var qAbsMax = 0.0
    /// The latest measurement's largest |Q| (optional: checkpoints from before it decode).
    var qAbsLast: Double?
  }

  /// Where the output files ended at a checkpoint.
  struct OutputPosition: Codable {
    var metrics: MetricsWriter.Position
    var spectraBytes: UInt64
  }

  let config: ExperimentConfig
  let seed: Int
  let agent: any Agent
  let replay: ReplayBuffer
  var state: State
  var probe: RankProbe
  /// The tangent kernel at the previous rank measurement and its step (for its velocity).
  var previousKernel: [Float] = []
  var previousKernelStep = 0
  /// Wall-clock time by part of the loop in this process (not checkpointed: it measures this
  /// machine, not the run).
  var time = TimeBreakdown()
  var nextObservation: [Float]
  /// Where recorded episodes go, and the prefix of their file names.
  var recordings = (directory: URL(fileURLWithPath: "replays"), prefix: "")
  /// A multi-task run's tasks, for its summary.
  var taskEnvironments: [EnvConfig]?
  private var lastLogTime = Date()
  private var lastLogStep = 0

  /// `evaluationPrototype`: the environment evaluation and recorded episodes run on (`eval.env`;
  /// the training environment when the config has none).
  init(
    config: ExperimentConfig, seed: Int, prototype: E, evaluationPrototype: E, agent: any Agent,
    replay: ReplayBuffer
  ) {
    self.config = config
    self.seed = seed
    self.agent = agent
    self.replay = replay
    var env = prototype
    var evalEnv = evaluationPrototype
    let s = UInt64(seed)
    let observation = env.reset(seed: s)
    var evalSeeds = PCG64(seed: s, stream: [1])
    _ = evalEnv.reset(seed: evalSeeds.next())
    state = State(
      env: env, evalEnv: evalEnv, observation: observation, probeRNG: PCG64(seed: s, stream: [4]),
      behaviourRNG: PCG64(seed: s, stream: [5]))
    probe = RankProbe(config: config.rank)
    if let tabular = prototype as? any TabularEnvironment {
      probe.useStates(of: tabular)
      // A known model's r_max, not only what the data happened to reach.
      state.rewardAbsMax = tabular.largestAbsoluteReward()
    }
    nextObservation = observation
    if !config.offline.enabled { agent.episodeStarted(training: true) }
  }

  /// Runs until `until` steps; returns true when the run reached `config.steps`. Throws
  /// `NonFiniteValue` at the first update whose figures (its loss) are not finite, and
  /// `RunInterrupted` after writing a checkpoint when a signal asked the run to stop.
  /// `heartbeat` is called after every metrics row.
  mutating func run(
    until: Int, metrics: MetricsWriter, spectra: AppendOnlyFile, progress: ProgressReporter?,
    heartbeat: (Int) throws -> Void = { _ in },
    checkpoint: (TrainingLoop, Int) throws -> Void
  ) throws -> Bool {
    // A dataset loaded from a file (offline.dataset) is already in the buffer.
    if config.offline.enabled && config.offline.dataset == nil && !state.datasetCollected {
      collectDataset()
    }
    if config.offline.enabled && state.rewardAbsMax == 0 {
      state.rewardAbsMax = Self.largestAbsoluteReward(in: replay)
    }
    lastLogTime = Date()
    lastLogStep = state.step
    let runStart = TimeBreakdown.now
    defer {
      time.total += TimeBreakdown.since(runStart)
      time.replaySample = agent.samplingSeconds
      time.learner -= agent.samplingSeconds
    }
    while state.step < until {
      state.step += 1
      let step = state.step
      if let prioritized = replay.prioritized {
        replay.beta = LinearSchedule(
          initial: prioritized.beta, final: prioritized.betaFinal, fraction: 1, total: config.steps
        ).value(at: step)
      }
      if config.offline.enabled {
        let start = TimeBreakdown.now
        try accumulate(agent.train(replay: replay, gradientSteps: 1, step: step))
        time.learner += TimeBreakdown.since(start)
      } else {
        interact()
        let start = TimeBreakdown.now
        if let figures = agent.update(replay: replay, step: step) { try accumulate(figures) }
        time.learner += TimeBreakdown.since(start)
      }
      var row = MetricsRecord(step: step)
      if step % config.log.every == 0 { addTrainingFigures(to: &row) }
      if step % config.eval.every == 0 {
        let start = TimeBreakdown.now
        try evaluate(into: &row, episodes: config.eval.episodes, prefix: "eval/return")
        time.evaluation += TimeBreakdown.since(start)
      }
      // Its own environment copy and seed: recording changes no other number.
      if recordsEpisodes && config.eval.recordEvery > 0 && step % config.eval.recordEvery == 0 {
        let start = TimeBreakdown.now
        try recordEpisode(step: step)
        time.evaluation += TimeBreakdown.since(start)
      }
      if config.rank.every > 0 && step % config.rank.every == 0 {
        let start = TimeBreakdown.now
        measureRank(into: &row, spectra: spectra)
        time.rank += TimeBreakdown.since(start)
      }
      if !row.values.isEmpty {
        metrics.write(row)
        try metrics.flush()
        try heartbeat(step)
      }
      progress?.update(
        step: step, evalReturn: state.lastEvalReturn, srank: state.lastSrank.map(Double.init))
      let due = config.checkpoint.every > 0 && step % config.checkpoint.every == 0
      if (due || RunInterruption.signal != 0) && step < config.steps {
        try checkpoint(self, step)
        if RunInterruption.signal != 0 {
          throw RunInterrupted(
            directory: URL(fileURLWithPath: "."), step: step, signal: RunInterruption.signal)
        }
      }
    }
    return state.step >= config.steps
  }

  /// One environment step with the exploring policy, stored in the replay buffer.
  private mutating func interact() {
    let actStart = TimeBreakdown.now
    let action = state.observation.withUnsafeBufferPointer { agent.act($0, explore: true) }
    time.acting += TimeBreakdown.since(actStart)
    let envStart = TimeBreakdown.now
    let result = nextObservation.withUnsafeMutableBufferPointer { state.env.step(action, into: $0) }
    time.environment += TimeBreakdown.since(envStart)
    let insertStart = TimeBreakdown.now
    state.observation.withUnsafeBufferPointer { o in
      nextObservation.withUnsafeBufferPointer { n in
        replay.add(
          observation: o, action: action, reward: result.reward, cost: result.cost, end: result.end,
          nextObservation: n)
      }
    }
    time.replayInsert += TimeBreakdown.since(insertStart)
    state.episodeReturn += result.reward
    state.rewardAbsMax = max(state.rewardAbsMax, abs(result.reward))
    state.episodeLength += 1
    state.failuresTotal += result.cost
    state.episodeCost += result.cost
    if result.end.isEnd {
      state.finishedReturns.append(state.episodeReturn)
      if state.finishedCosts == nil { state.finishedCosts = [] }
      state.finishedCosts?.append(state.episodeCost)
      state.episodes += 1
      agent.episodeEnded(
        return: state.episodeReturn, cost: state.episodeCost, length: state.episodeLength)
      state.episodeReturn = 0
      state.episodeCost = 0
      state.episodeLength = 0
      state.observation.withUnsafeMutableBufferPointer { state.env.reset(seed: nil, into: $0) }
      agent.episodeStarted(training: true)
    } else {
      swap(&state.observation, &nextObservation)
    }
  }

  /// Episode files name one environment: a multi-task run records none.
  var recordsEpisodes: Bool { state.evalEnv.taskCount == 1 }

  /// Offline runs: fill the replay buffer once with the behaviour policy's transitions.
  private mutating func collectDataset() {
    OfflineDataset.collect(
      into: replay, env: &state.env, observation: state.observation, rng: &state.behaviourRNG,
      steps: config.offline.datasetSteps)
    state.datasetCollected = true
  }

  private mutating func accumulate(_ figures: [(key: String, value: Double)]) throws {
    for (key, value) in figures {
      guard value.isFinite else { throw NonFiniteValue(step: state.step, key: key) }
      if let index = state.trainKeys.firstIndex(of: key) {
        state.trainSums[index] += value
      } else {
        state.trainKeys.append(key)
        state.trainSums.append(value)
      }
    }
    state.trainUpdates += 1
  }

  private mutating func addTrainingFigures(to row: inout MetricsRecord) {
    if state.trainUpdates > 0 {
      for (key, sum) in zip(state.trainKeys, state.trainSums) {
        row.values.append((key, sum / Double(state.trainUpdates)))
      }
    }
    if !state.finishedReturns.isEmpty {
      row.values.append(
        (
          "train/episode_return",
          state.finishedReturns.reduce(0, +) / Double(state.finishedReturns.count)
        ))
    }
    if !config.offline.enabled {
      row.values.append(("train/episodes", Double(state.episodes)))
      row.values += agent.statusMetrics(step: state.step)
      row.values.append(("safety/failures_total", state.failuresTotal))
      if let costs = state.finishedCosts, !costs.isEmpty {
        row.values.append(("safety/episode_cost", costs.reduce(0, +) / Double(costs.count)))
      }
    } else {
      // Offline: the counters that mean something without interaction (fitting iterations).
      row.values += agent.statusMetrics(step: state.step).filter {
        $0.key == "train/fitting_iterations"
      }
    }
    let usage = replay.usage
    row.values.append(("replay/transitions", Double(usage.transitions)))
    row.values.append(("replay/bytes", Double(usage.bytes)))
    row.values.append(("replay/raw_bytes", Double(usage.rawBytes)))
    row.values.append(("replay/compression_ratio", usage.compressionRatio))
    row.values.append(("replay/memory_bytes", Double(usage.memoryBytes)))
    if let sampleMicroseconds = replay.takeSampleMicroseconds() {
      row.values.append(("replay/sample_us", sampleMicroseconds))
    }
    let now = Date()
    let elapsed = now.timeIntervalSince(lastLogTime)
    if elapsed > 0 {
      row.values.append(("time/steps_per_s", Double(state.step - lastLogStep) / elapsed))
    }
    lastLogTime = now
    lastLogStep = state.step
    state.trainKeys = []
    state.trainSums = []
    state.trainUpdates = 0
    state.finishedReturns = []
    state.finishedCosts = []
  }

  /// Evaluates each task of the environment (one for most) and each of the agent's latents in
  /// turn (one policy for most agents), each on the same episode seeds when `seeds` is given:
  /// `\(prefix)_mean` / `_std` pool every episode, `eval/task_K/...` is task K's mean and
  /// `eval/latent_K/...` latent K's. Returns the tasks' and the latents' means (empty with one).
  @discardableResult
  private mutating func evaluate(
    into row: inout MetricsRecord, episodes: Int, prefix: String, seeds: [UInt64]? = nil,
    recorder: ((_ latent: Int?, _ episode: Int, [Float]) throws -> EpisodeWriter?)? = nil
  ) throws -> (tasks: [Double], latents: [Double]) {
    let tasks = state.evalEnv.taskCount
    let latents = agent.latentCount
    let name = prefix.hasPrefix("eval/") ? String(prefix.dropFirst(5)) : prefix
    var pooled = EvaluationResult(returns: [], lengths: [], cost: 0)
    var means: (tasks: [Double], latents: [Double]) = ([], [])
    for task in 0..<tasks {
      if tasks > 1 { state.evalEnv.selectTask(task) }
      var taskResult = EvaluationResult(returns: [], lengths: [], cost: 0)
      for latent in 0..<latents {
        let chosen: Int? = latents > 1 ? latent : nil
        agent.selectLatent(chosen)
        let result = try Evaluation.run(
          &state.evalEnv, agent: agent, episodes: episodes, seeds: seeds,
          recorder: recorder.map { record in { k, first in try record(chosen, k, first) } })
        taskResult.returns += result.returns
        if chosen != nil {
          row.values.append(("eval/latent_\(latent)/\(name)_mean", result.mean))
          means.latents.append(result.mean)
        }
        pooled.returns += result.returns
        pooled.lengths += result.lengths
        pooled.cost += result.cost
      }
      if tasks > 1 {
        row.values.append(("eval/task_\(task)/\(name)_mean", taskResult.mean))
        means.tasks.append(taskResult.mean)
      }
    }
    state.evalEnv.selectTask(nil)
    agent.selectLatent(nil)
    row.values.append(("\(prefix)_mean", pooled.mean))
    row.values.append(("\(prefix)_std", pooled.standardDeviation))
    // Mean safety cost per episode, under the name of the evaluation it belongs to: always
    // where the environment has a failure signal (a zero is a measurement), else when non-zero.
    if pooled.cost > 0 || state.evalEnv.hasFailureSignal {
      let name = prefix.replacingOccurrences(of: "return", with: "cost")
      row.values.append(("\(name)_mean", pooled.cost / Double(pooled.returns.count)))
    }
    state.lastEvalReturn = pooled.mean
    return means
  }

  private mutating func measureRank(into row: inout MetricsRecord, spectra: AppendOnlyFile) {
    probe.drawIfNeeded(from: replay, rng: &state.probeRNG)
    guard let (rank, values) = probe.measure(agent) else { return }
    row.values += rank.metrics + [("rank/probe_states", Double(probe.count))]
    if let q = measureActionValues() { row.values.append(("rank/q_abs_max", q)) }
    if config.rank.ntkVelocity,
      let gram = probe.observations.withUnsafeBufferPointer({
        agent.tangentKernel(of: $0, count: probe.count)
      })
    {
      // Per step, so runs measured at different intervals compare.
      if !previousKernel.isEmpty && state.step > previousKernelStep {
        let distance = TangentKernel.cosineDistance(gram, previousKernel)
        row.values.append(
          ("rank/ntk_velocity", distance / Double(state.step - previousKernelStep)))
      }
      previousKernel = gram
      previousKernelStep = state.step
    }
    let list = values.map { "\($0)" }.joined(separator: ",")
    spectra.append(line: "{\"step\":\(state.step),\"singular_values\":[\(list)]}")
    state.lastSrank = rank.srank
  }

  /// The largest |Q(s, a)| over the probe states now (infinite if any is not finite), folded
  /// into the run's maximum; nil for agents without action values or before the probe exists.
  private mutating func measureActionValues() -> Double? {
    guard probe.count > 0,
      let q = probe.observations.withUnsafeBufferPointer({
        agent.actionValues(of: $0, count: probe.count)
      })
    else { return nil }
    var largest = 0.0
    for value in q {
      guard value.isFinite else {
        largest = .infinity
        break
      }
      largest = max(largest, Double(abs(value)))
    }
    state.qAbsMax = max(state.qAbsMax, largest)
    state.qAbsLast = largest
    return largest
  }

  /// The largest |reward| among a buffer's transitions (an offline dataset's r_max).
  static func largestAbsoluteReward(in replay: ReplayBuffer) -> Double {
    let block = 1024
    var batch = replay.makeBatch(size: min(block, max(1, replay.count)))
    var largest = 0.0
    var start = 0
    while start < replay.count {
      let positions = Array(start..<min(start + block, replay.count))
      replay.gather(positions: positions, into: &batch)
      for i in 0..<positions.count { largest = max(largest, abs(Double(batch.rewards[i]))) }
      start += block
    }
    return largest
  }

  /// Records one greedy episode on a copy of the evaluation environment, from a seed drawn for
  /// this step, so recording changes no other number of the run.
  private func recordEpisode(step: Int) throws {
    var generator = PCG64(seed: UInt64(seed), stream: [7, UInt32(truncatingIfNeeded: step)])
    var header = episodeHeader()
    header.seed = generator.next() >> 1
    var env = state.evalEnv
    try FileManager.default.createDirectory(
      at: recordings.directory, withIntermediateDirectories: true)
    let url = recordings.directory.appendingPathComponent(
      recordings.prefix + String(format: "step-%09d.rlep", step))
    _ = try Evaluation.run(&env, agent: agent, episodes: 1, seeds: [header.seed ?? 0]) { _, first in
      try EpisodeWriter(url: url, header: header, resetObservation: first)
    }
  }

  /// The final evaluation and summary.
  mutating func finish(metrics: MetricsWriter, directory: RunDirectory) throws -> RunSummary {
    var row = MetricsRecord(step: state.step)
    let episodes = config.eval.finalEpisodes > 0 ? config.eval.finalEpisodes : config.eval.episodes
    // Final episodes each start from a seed of their own, so any of them can be replayed and
    // re-simulated exactly; the first `eval.record` are recorded.
    var seedSource = PCG64(seed: UInt64(seed), stream: [6])
    let seeds = (0..<episodes).map { _ in seedSource.next() >> 1 }
    let replays = recordings.directory
    let recorded = recordsEpisodes ? config.eval.record : 0
    if recorded > 0 {
      try FileManager.default.createDirectory(at: replays, withIntermediateDirectories: true)
    }
    let header = episodeHeader()
    let prefix = recordings.prefix
    // With latents, the first `eval.record` episodes of each (`final-latentK-NN.rlep`).
    let means = try evaluate(
      into: &row, episodes: episodes, prefix: "eval/final_return", seeds: seeds
    ) { latent, k, first in
      guard k < recorded else { return nil }
      var episodeHeader = header
      episodeHeader.seed = seeds[k]
      let name =
        latent.map { String(format: "final-latent%d-%02d.rlep", $0, k) }
        ?? String(format: "final-%02d.rlep", k)
      return try EpisodeWriter(
        url: replays.appendingPathComponent(prefix + name), header: episodeHeader,
        resetObservation: first)
    }
    // The agent's other policies (a student's teachers, their ensemble) on the same seeds.
    // Their feature rank is measured on this run's probe states, beside the agent's.
    var comparisons: [String: Double] = [:]
    var comparisonSranks: [String: Int] = [:]
    for policy in agent.comparisonPolicies {
      agent.actAs(policy)
      // A multi-task student's teacher plays its own task.
      state.evalEnv.selectTask(agent.comparisonTask(policy))
      defer {
        agent.actAs(nil)
        state.evalEnv.selectTask(nil)
      }
      let result = try Evaluation.run(
        &state.evalEnv, agent: agent, episodes: episodes, seeds: seeds)
      row.values.append(("eval/\(policy)/final_return_mean", result.mean))
      row.values.append(("eval/\(policy)/final_return_std", result.standardDeviation))
      comparisons[policy] = result.mean
      guard config.rank.every > 0, probe.count > 0, agent.featureCount > 0 else { continue }
      var policyProbe = RankProbe(config: config.rank)
      policyProbe.setObservations(probe.observations, count: probe.count)
      if let (rank, _) = policyProbe.measure(agent) {
        row.values.append(("rank/\(policy)/srank", Double(rank.srank)))
        comparisonSranks[policy] = rank.srank
      }
    }
    metrics.write(row)
    probe.drawIfNeeded(from: replay, rng: &state.probeRNG)
    var summary = RunSummary(
      directory: directory.url, finalReturnMean: row["eval/final_return_mean"],
      finalReturnStd: row["eval/final_return_std"], finalSrank: state.lastSrank, timeSeconds: time,
      timeFractions: time.fractions, comparisons: comparisons.isEmpty ? nil : comparisons,
      comparisonSranks: comparisonSranks.isEmpty ? nil : comparisonSranks)
    if !means.latents.isEmpty { summary.latentReturnMeans = means.latents }
    if !means.tasks.isEmpty {
      summary.tasks = taskEnvironments
      summary.taskReturnMeans = means.tasks
    }
    if measureActionValues() != nil {
      // Soft backups add at most τ · log |A| of entropy per step to every value.
      var entropyBonus = 0.0
      if let q = config.agent.dqn, case .discrete(let n) = state.evalEnv.actionSpace {
        entropyBonus = q.entropyWeight * log(Double(n))
      }
      summary.qAbsMax = state.qAbsMax
      summary.qAbsFinal = state.qAbsLast ?? state.qAbsMax
      summary.qBound = RunSummary.valueBound(
        rewardAbsMax: state.rewardAbsMax, gamma: config.agent.gamma, entropyBonus: entropyBonus)
      summary.diverged = RunSummary.diverged(
        qAbsMax: state.qAbsMax, qAbsFinal: state.qAbsLast ?? state.qAbsMax,
        rewardAbsMax: state.rewardAbsMax, gamma: config.agent.gamma,
        entropyBonus: entropyBonus)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try AtomicFile.write(Array(try encoder.encode(summary)), to: directory.summary)
    return summary
  }

  /// The header of this run's recorded episodes: the evaluation environment, its options, the
  /// agent and what it records beside each step.
  func episodeHeader() -> EpisodeHeader {
    let env = config.eval.env ?? config.env
    return EpisodeHeader(
      environmentID: env.id, environmentOptions: JSONValue.encoding(env.options), seed: nil,
      agentID: config.agent.algorithm.rawValue,
      observationWidth: state.evalEnv.observationSpace.flatCount,
      action: .init(space: state.evalEnv.actionSpace),
      extras: agent.recordedFields)
  }

  func save(into archive: inout CheckpointArchive, position: OutputPosition) throws {
    try archive.put("loop/state", json: state)
    try archive.put("loop/output", json: position)
    archive.put("loop/probe", array: probe.observations)
    archive.put("loop/previous_kernel", array: previousKernel)
    try archive.put("loop/previous_kernel_step", json: previousKernelStep)
    try archive.put("loop/probe_count", json: probe.count)
    try agent.save(into: &archive)
    try replay.save(into: &archive)
  }

  mutating func load(from archive: CheckpointArchive) throws -> OutputPosition {
    state = try archive.json("loop/state", as: State.self)
    previousKernel = try archive.array("loop/previous_kernel", of: Float.self)
    previousKernelStep = try archive.json("loop/previous_kernel_step", as: Int.self)
    probe.setObservations(
      try archive.array("loop/probe", of: Float.self),
      count: try archive.json("loop/probe_count", as: Int.self))
    try agent.load(from: archive)
    try replay.load(from: archive)
    return try archive.json("loop/output", as: OutputPosition.self)
  }
}
