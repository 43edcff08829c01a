import Testing
import Yams

@testable import RankLab

@Suite struct ConfigTests {
  func load(_ text: String, overrides: [String] = []) throws -> ExperimentConfig {
    try ConfigLoader.load(ExperimentConfig.self, text: text, file: "c.yaml", overrides: overrides)
      .config
  }

  func issues(_ text: String, overrides: [String] = []) -> [String] {
    do {
      _ = try ConfigLoader.load(
        ExperimentConfig.self, text: text, file: "c.yaml", overrides: overrides)
      return []
    } catch let error as ConfigError {
      return error.issues.map(\.description)
    } catch {
      return ["unexpected \(error)"]
    }
  }

  /// A run's config.yaml written before a key existed describes the same experiment as today's
  /// resolved YAML with that key at its default; a changed value does not.
  @Test func configsDifferByValueNotByTheKeysWrittenOut() throws {
    let text = "env: {id: gridworld/lava}\nagent: {algorithm: sac}\nsafety: {method: csc}\n"
    let planned = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "a.yaml")
      .resolvedYAML
    #expect(planned.contains("multiplier_from: \"episode_cost\""))
    let older = planned.replacingOccurrences(of: "  multiplier_from: \"episode_cost\"\n", with: "")
    #expect(older != planned)
    #expect(!ExperimentConfig.differ(written: older, planned: planned))
    let changed = planned.replacingOccurrences(of: "chi: 0.1", with: "chi: 0.2")
    #expect(changed != planned)
    #expect(ExperimentConfig.differ(written: changed, planned: planned))
    // More seeds planned than a run was made with is the same experiment for that run; a finished
    // run's logging and checkpoint interval are no difference either, a resumable one's are.
    let moreSeeds = try ConfigLoader.load(
      ExperimentConfig.self, text: text + "seeds: [0, 1, 2]\n", file: "a.yaml"
    ).resolvedYAML
    #expect(!ExperimentConfig.differ(written: planned, planned: moreSeeds))
    let logged = try ConfigLoader.load(
      ExperimentConfig.self, text: text + "log: {every: 7}\n", file: "a.yaml"
    ).resolvedYAML
    #expect(!ExperimentConfig.differ(written: planned, planned: logged, finished: true))
    #expect(ExperimentConfig.differ(written: planned, planned: logged, finished: false))
  }

  /// The loader fills what a file leaves out; the commands refuse a file without `agent`
  /// (`ExperimentPlan.refuseIncomplete`, tested in `CommandLineRefusalTests`).
  @Test func theLoaderFillsAnEmptyConfigWithTheDefaults() throws {
    #expect(try load("") == ExperimentConfig())
  }

  @Test func valuesOverrideDefaultsAndTheResolvedYAMLRoundTrips() throws {
    let text = """
      name: study
      steps: 2000
      env:
        id: gridworld/fu
        size: 8
        observation: rowcol_onehot
      agent:
        learning_rate: 0.0005
        network: {hidden: [64, 64], activation: tanh}
        dqn: {target_update: {every: 16, unit: gradient_steps}}
      """
    let loaded = try ConfigLoader.load(ExperimentConfig.self, text: text, file: "c.yaml")
    #expect(loaded.config.agent.learningRate == 0.0005)
    #expect(loaded.config.agent.network.hidden == [64, 64])
    #expect(loaded.config.agent.dqn?.targetUpdate.unit == .gradientSteps)
    #expect(
      loaded.config.env.options.size == 8 && loaded.config.env.options.observation == .rowColOnehot)
    #expect(loaded.config.agent.gamma == 0.99)  // default kept
    #expect(loaded.resolvedYAML.contains("max_grad_norm"))
    #expect(loaded.resolvedYAML.contains("map_file: null"))
    let reread = try ConfigLoader.load(
      ExperimentConfig.self, text: loaded.resolvedYAML, file: "r.yaml")
    #expect(reread.config == loaded.config)
    #expect(reread.resolvedYAML == loaded.resolvedYAML)
  }

  @Test func unknownKeysNameLineColumnAndTheClosestKey() {
    let found = issues(
      """
      agent:
        learning_rat: 0.001
        gama: 0.9
      evall: {every: 10}
      """)
    #expect(
      found == [
        "c.yaml:2:3: unknown key 'learning_rat' under 'agent'; did you mean 'learning_rate'?",
        "c.yaml:3:3: unknown key 'gama' under 'agent'; did you mean 'gamma'?",
        "c.yaml:4:1: unknown key 'evall' at the top level; did you mean 'eval'?",
      ])
  }

  @Test func listItemsSetByIndexMustExistOrAppend() throws {
    let text = "seeds: [0, 1]"
    let appended = try ConfigLoader.load(
      ExperimentConfig.self, text: text, file: "c.yaml", overrides: ["seeds.2=7"])
    #expect(appended.config.seeds == [0, 1, 7])
    for (override, expected) in [
      ("seeds.5=7", "--set seeds.5=7: 'seeds' has 2 items: an index may be 0...2 (2 appends)"),
      ("steps.0=1", "'steps' is not a list in the config"),
    ] {
      #expect {
        _ = try ConfigLoader.load(
          ExperimentConfig.self, text: text, file: "c.yaml", overrides: [override])
      } throws: { error in
        "\(error)".contains(expected) && !"\(error)".contains("\n")
      }
    }
  }

  @Test func keysOfTheEarlierSchemaSayWhereTheyMoved() {
    #expect(
      issues("agent:\n  double_q: true\n  target_update: {every: 5}") == [
        "c.yaml:2:3: unknown key 'double_q' under 'agent'; it moved to 'agent.dqn.double_q'",
        "c.yaml:3:3: unknown key 'target_update' under 'agent'; it moved to 'agent.dqn.target_update'",
      ])
  }

  @Test func wrongTypesChoicesAndRanges() {
    #expect(
      issues("agent:\n  batch_size: many\n") == [
        "c.yaml:2:3: 'agent.batch_size' must be a number, got 'many'"
      ])
    #expect(
      issues("agent:\n  dqn:\n    double_q: maybe\n") == [
        "c.yaml:3:5: 'agent.dqn.double_q' must be true or false, got 'maybe'"
      ])
    #expect(
      issues("agent:\n  dqn:\n    loss: l1\n") == [
        "c.yaml:3:5: invalid value 'l1' for 'agent.dqn.loss'; expected one of: huber, mse"
      ])
    #expect(
      issues("agent:\n  gamma: 1.5\n  learning_rate: -1\n") == [
        "c.yaml:3:3: 'agent.learning_rate' must be positive",
        "c.yaml:2:3: 'agent.gamma' must be within [0, 1]",
      ])
    #expect(
      issues("agent:\n  network: [1]\n") == [
        "c.yaml:2:3: 'agent.network' must be a mapping of keys to values"
      ])
    #expect(
      issues("env: {id: Cartpole-v1}\n") == [
        "c.yaml:1:7: 'env.id' is not a known environment (see `ranklab envs`): 'Cartpole-v1'"
      ])
    #expect(
      issues("agent:\n  batch_size: 2.5\n") == ["c.yaml:2:3: 'agent.batch_size' must be an integer"]
    )
    #expect(
      issues(
        "offline: {enabled: true, dataset_steps: 500}\nreplay: {capacity: 100}\n"
          + "agent: {dqn: {target_update: {unit: gradient_steps}}}\n") == [
          "c.yaml:1:26: 'offline.dataset_steps' must not exceed replay.capacity (100): the dataset is kept whole"
        ])
    // Combinations the Monte-Carlo control cannot honour are refused, not silently dropped.
    #expect(
      issues("agent:\n  algorithm: mc\n  dqn: {regularizer: {kind: dr3}}\n") == [
        "c.yaml:3:23: 'agent.dqn.regularizer.kind' dr3 acts on next-state features, which the Monte-Carlo control (algorithm: mc) never computes"
      ])
    #expect(
      issues("agent:\n  dqn:\n    entropy_weight: -0.1\n") == [
        "c.yaml:3:5: 'agent.dqn.entropy_weight' must be a non-negative number (0: hard max and greedy data)"
      ])
    #expect(
      issues("agent:\n  dqn:\n    entropy_weight: 0.1\n    double_q: true\n") == [
        "c.yaml:3:5: 'agent.dqn.entropy_weight' soft backups value s′ by logsumexp over every action, so they combine with neither double_q nor advantage_learning; turn those off"
      ])
  }

  @Test func yamlSyntaxErrorsAreLocated() {
    let found = issues("agent:\n  gamma: [0.9\n")
    #expect(found.count == 1)
    #expect(found.first?.hasPrefix("c.yaml:3:") == true, "\(found)")
  }

  @Test func overridesApplyAndAreValidated() throws {
    let config = try load(
      "agent: {learning_rate: 0.1}", overrides: ["agent.learning_rate=1e-3", "seeds=[1, 2]"])
    #expect(config.agent.learningRate == 1e-3)
    #expect(config.seeds == [1, 2])
    #expect(
      issues("", overrides: ["agent.learnin_rate=1"]) == [
        "--set agent.learnin_rate=1: unknown key 'learnin_rate' under 'agent'; did you mean 'learning_rate'?"
      ])
    #expect(
      issues("", overrides: ["agent.gamma"]).first?.contains("expected KEY.PATH=VALUE") == true)
  }

  @Test func sweepsExpandIntoLabelledVariants() throws {
    let text = """
      steps: 100
      sweep:
        agent.dqn.target_update.every: {label: K, values: [1, 4, 16]}
        agent.dqn.regularizer.kind: [none, srank_penalty]
      """
    let variants = try ConfigLoader.loadVariants(ExperimentConfig.self, text: text, file: "s.yaml")
    #expect(
      variants.map(\.label) == [
        "K=1,kind=none", "K=1,kind=srank_penalty", "K=4,kind=none", "K=4,kind=srank_penalty",
        "K=16,kind=none", "K=16,kind=srank_penalty",
      ])
    #expect(variants[5].loaded.config.agent.dqn?.targetUpdate.every == 16)
    #expect(variants[5].loaded.config.agent.dqn?.regularizer.kind == .srankPenalty)
    #expect(!variants[0].loaded.resolvedYAML.contains("sweep"))
    let bad = "sweep:\n  agent.gama: [0.9]\n"
    #expect(throws: ConfigError.self) {
      try ConfigLoader.loadVariants(ExperimentConfig.self, text: bad, file: "s.yaml")
    }
  }
}

@Suite struct SweepGroupTests {
  @Test func groupedKeysMoveTogether() throws {
    let text = """
      sweep:
        K:
          agent.dqn.target_update.every: [1, 16]
          steps: [600, 9600]
      """
    let variants = try ConfigLoader.loadVariants(ExperimentConfig.self, text: text, file: "g.yaml")
    #expect(variants.map(\.label) == ["K=1", "K=16"])
    #expect(variants.map(\.loaded.config.steps) == [600, 9600])
    #expect(variants.map(\.loaded.config.agent.dqn?.targetUpdate.every) == [1, 16])
    let ragged = "sweep:\n  K:\n    steps: [1, 2]\n    seeds: [[0]]\n"
    #expect(throws: ConfigError.self) {
      try ConfigLoader.loadVariants(ExperimentConfig.self, text: ragged, file: "g.yaml")
    }
  }
}

@Suite struct SweepOverrideTests {
  @Test func commandLineOverridesWinOverSweepValues() throws {
    let text = "sweep:\n  K:\n    agent.dqn.target_update.every: [1, 16]\n    steps: [600, 9600]\n"
    let variants = try ConfigLoader.loadVariants(
      ExperimentConfig.self, text: text, file: "g.yaml", overrides: ["steps=5"])
    #expect(variants.map(\.loaded.config.steps) == [5, 5])
    #expect(variants.map(\.loaded.config.agent.dqn?.targetUpdate.every) == [1, 16])
  }

  @Test func overridingTheKeyAnAxisIsLabelledBySelectsItsVariants() throws {
    let text = """
      sweep:
        K:
          agent.fqi.k: [16, 64]
          agent.gradient_steps: [16, 64]
        env.map_seed: {label: map, values: [0, 1, 2]}
      agent: {algorithm: fqi}
      """
    let variants = try ConfigLoader.loadVariants(
      ExperimentConfig.self, text: text, file: "g.yaml",
      overrides: ["env.map_seed=1", "agent.fqi.k=64"])
    #expect(variants.map(\.label) == ["K=64,map=1"])
    #expect(variants[0].loaded.config.agent.gradientSteps == 64)
    #expect(variants[0].loaded.config.env.options.mapSeed == 1)
    do {
      _ = try ConfigLoader.loadVariants(
        ExperimentConfig.self, text: text, file: "g.yaml", overrides: ["env.map_seed=7"])
      Issue.record("a value the axis does not list was accepted")
    } catch let error as ConfigError {
      #expect(
        error.issues.map(\.description) == [
          "--set env.map_seed=7: 'env.map_seed' is swept (axis 'map': 0, 1, 2); pick one of those values to run its variants, or change the sweep in the file"
        ])
    }
  }
}

@Suite struct AgentSectionTests {
  func issues(_ text: String, overrides: [String] = []) -> [String] {
    ConfigTests().issues(text, overrides: overrides)
  }

  @Test func aSectionOfAnotherAlgorithmNamesItsAlgorithm() {
    #expect(
      issues("agent:\n  algorithm: sac\n  dqn: {double_q: true}\n") == [
        "c.yaml:3:3: 'agent.dqn' belongs to algorithm dqn, fqi, cql, mc, not to 'sac' (agent.algorithm); remove it or change the algorithm"
      ])
    #expect(
      issues("agent: {sac: {tau: 0.01}}\n").first?.contains("belongs to algorithm sac") == true)
    // Keys inside a section are checked against that section's schema.
    #expect(
      issues("agent:\n  algorithm: sac\n  sac: {taux: 0.01}\n") == [
        "c.yaml:3:9: unknown key 'taux' under 'agent.sac'; did you mean 'tau'?"
      ])
    #expect(issues("agent: {algorithm: fqi, dqn: {target_update: {every: 4}}}").count == 1)
    // Offline fqi and mc need no target_update.unit (fqi counts K, mc has no target network).
    #expect(issues("offline: {enabled: true, dataset_steps: 100}\nagent: {algorithm: mc}").isEmpty)
    #expect(issues("offline: {enabled: true, dataset_steps: 100}\nagent: {algorithm: fqi}").isEmpty)
    #expect(
      issues("offline: {enabled: true, dataset_steps: 100}\nagent: {algorithm: dqn}").count == 1)
  }

  @Test func sharedKeysTakeTheAlgorithmsDefaults() throws {
    let sac = try ConfigLoader.load(
      ExperimentConfig.self, text: "agent: {algorithm: sac}", file: "c.yaml")
    #expect(sac.config.agent.learningRate == 3e-4 && sac.config.agent.batchSize == 256)
    #expect(sac.config.agent.sac == SACConfig() && sac.config.agent.dqn == nil)
    #expect(sac.resolvedYAML.contains("tau: 0.005") && !sac.resolvedYAML.contains("double_q"))
    let fqi = try ConfigLoader.load(
      ExperimentConfig.self, text: "agent: {algorithm: fqi, fqi: {k: 32}}", file: "c.yaml")
    #expect(fqi.config.agent.fqi?.k == 32 && fqi.config.agent.learningRate == 2.3e-3)
  }

  @Test func optionalSectionsAndNumberMappingsAreChecked() throws {
    let config = try ConfigLoader.load(
      ExperimentConfig.self,
      text: "env: {id: Pendulum-v1, params: {m: 1.5}}\neval: {env: {id: Pendulum-v1}}\n",
      file: "c.yaml", overrides: ["eval.env.params={m: 2}"]
    ).config
    #expect(config.eval.env?.id == "Pendulum-v1" && config.eval.env?.options.timeLimit == nil)
    // The override reached the evaluation environment's params, and only them.
    #expect(config.eval.env?.options.params == ["m": 2])
    #expect(config.env.options.params == ["m": 1.5])
    #expect(
      issues("eval: {env: {idd: CartPole-v1}}") == [
        "c.yaml:1:14: unknown key 'idd' under 'eval.env'; did you mean 'id'?"
      ])
    #expect(issues("env: {params: {m: heavy}}").first?.contains("must be a number") == true)
  }

  @Test func listsAndListItemsCanBeSet() throws {
    let node = try ConfigLoader.parseOverride("seeds=[3, 4]").1
    var tree = ConfigLoader.set(node, at: ["seeds"], in: .mapping(.init([])))
    tree = ConfigLoader.set(try ConfigLoader.parseOverride("x=7").1, at: ["seeds", "1"], in: tree)
    tree = ConfigLoader.set(try ConfigLoader.parseOverride("x=9").1, at: ["seeds", "2"], in: tree)
    #expect(tree.mapping?["seeds"]?.sequence?.map { $0.string ?? "" } == ["3", "7", "9"])
    let config = try ConfigLoader.load(
      ExperimentConfig.self, text: "seeds: [0, 1]", file: "c.yaml", overrides: ["seeds.1=5"]
    ).config
    #expect(config.seeds == [0, 5])
  }

  @Test func sweepLabelsAreSafeAndUnique() throws {
    let text = "sweep:\n  agent.network.hidden: [[64], [256, 256]]\n"
    let variants = try ConfigLoader.loadVariants(ExperimentConfig.self, text: text, file: "s.yaml")
    #expect(variants.map(\.label) == ["hidden=64", "hidden=256x256"])
    let clash = "sweep:\n  agent.learning_rate: [0.001, 0.001]\n  steps: [100]\n"
    #expect(throws: ConfigError.self) {
      _ = try ConfigLoader.loadVariants(ExperimentConfig.self, text: clash, file: "s.yaml")
    }
    #expect(ConfigLoader.labelText(Node("../x")) == ".._x")
  }
}
