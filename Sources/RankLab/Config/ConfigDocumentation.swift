import Yams

/// Prints the schema's keys with their defaults (what `ranklab run --help-config` shows); the
/// meaning of each key is documented beside its default in ExperimentConfig.swift.
public enum ConfigDocumentation {
  /// The defaults of `algorithm` (each algorithm has its own shared defaults and sections).
  public static func defaultsYAML(algorithm: AgentConfig.Algorithm = .dqn) throws -> String {
    var config = ExperimentConfig()
    config.agent = AgentConfig.defaults(for: algorithm)
    let tree = try NodeEncoder().encode(config)
    var text =
      "# Every key of an experiment config with its default (see Sources/RankLab/Config/ExperimentConfig.swift).\n"
    text += try Yams.serialize(node: tree, sortKeys: false)
    text +=
      "# sweep: {key.path: [values]} or {key.path: {label: NAME, values: [...]}} expands into one run per combination.\n"
    // The sweep's cluster resources sit beside the experiment, never in a run's config.yaml.
    text +=
      "# slurm: the resources of `ranklab sweep --backend slurm`'s tasks (Sources/RankLab/Config/SlurmConfig.swift); its flags win over it.\n"
    let slurm = try Yams.serialize(node: try NodeEncoder().encode(SlurmSection()), sortKeys: false)
    text += slurm.split(separator: "\n").map { "#   \($0)\n" }.joined()
    var allowed = "# Allowed values:\n"
    for (key, values) in ExperimentConfig.choices.sorted(by: { $0.key < $1.key }) {
      allowed += "#   \(key): \(values.joined(separator: ", "))\n"
    }
    allowed +=
      "# Other algorithms' defaults: ranklab run --help-config --set agent.algorithm=NAME (\(AgentConfig.Algorithm.allCases.map(\.rawValue).joined(separator: ", ")))\n"
    return text + allowed
  }
}
