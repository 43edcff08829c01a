import ArgumentParser
import RankLab

/// The `ranklab` command: a thin layer that parses arguments and calls the RankLab library.
@main
struct RankLabCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ranklab",
    abstract: "Reinforcement-learning experiments that watch the feature rank of value networks.",
    discussion: """
      Start with `ranklab envs` to see the environments, `ranklab run Configs/dqn-cartpole.yaml` \
      to train an agent, and `ranklab help <subcommand>` for the details of each command.
      """,
    version: RankLabVersion.string,
    subcommands: [
      EnvsCommand.self,
      CheckReferenceCommand.self,
      RunCommand.self,
      SweepCommand.self,
      StatusCommand.self,
      EvalCommand.self,
      AdaptCommand.self,
      ReplayCommand.self,
      DatasetCommand.self,
      BenchCommand.self,
      PlotCommand.self,
      ReportCommand.self,
      MetricsCommand.self,
    ]
  )
}
