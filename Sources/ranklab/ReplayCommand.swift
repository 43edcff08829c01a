import ArgumentParser
import Foundation
import RankLab

/// `ranklab replay`: recorded episodes, played in the terminal or a browser, verified, exported.
struct ReplayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract: "Play, verify or export a recorded episode (.rlep).",
    discussion: """
      Runs record the first final-evaluation episodes to runs/<name>/<seed>/replays/ \
      (config keys eval.record, eval.record_every, eval.record_dir); Replays/ has examples.
        ranklab replay Replays/dqn-gridworld-seed0-final-00.rlep
        ranklab replay FILE --html episode.html
        ranklab replay FILE --verify
        ranklab replay export FILE --to npz
      """,
    subcommands: [ReplayPlayCommand.self, ReplayExportCommand.self],
    defaultSubcommand: ReplayPlayCommand.self)
}

/// Reads an episode file, turning format errors into a readable failure.
func readEpisode(_ path: String) throws -> Episode {
  do {
    return try EpisodeReader.read(from: URL(fileURLWithPath: path))
  } catch {
    // Episode errors already name the file, the byte offset and the frame.
    throw CommandFailure(error is EpisodeFileError ? "\(error)" : "\(path): \(error)")
  }
}

/// `ranklab replay play FILE`: the default.
struct ReplayPlayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "play",
    abstract: "Play an episode in the terminal (or write an HTML player, or verify it).")

  @Argument(help: "The episode file (.rlep).", completion: .file(extensions: ["rlep"]))
  var file: String

  @Option(help: "Steps per second of the animation.")
  var speed: Double = 10

  @Flag(help: "Advance one step each time Enter is pressed.")
  var step = false

  @Option(
    help:
      "Write a self-contained HTML player (canvas, play/pause/scrub, reward and Q plot) instead.")
  var html: String?

  @Flag(
    help: "Re-simulate the episode from its seed and actions; report the first step that differs.")
  var verify = false

  @Flag(help: "Only print the summary.")
  var summary = false

  func validate() throws {
    guard speed > 0 else { throw ValidationError("--speed must be positive") }
  }

  func run() throws {
    let episode = try readEpisode(file)
    let simulation = try EpisodeSimulation(episode)
    let header = episode.header
    let title =
      "\(header.environmentID), \(header.agentID), seed \(header.seed.map(String.init) ?? "-")"
    if verify {
      if let divergence = simulation.divergence {
        print("\(file): diverges: \(divergence)")
        throw ExitCode.failure
      }
      print(
        "\(file): re-simulated \(episode.stepCount) steps from seed \(header.seed ?? 0): identical")
      return
    }
    if let html {
      try Data(EpisodeHTML.page(episode, simulation, title: title).utf8).write(
        to: URL(fileURLWithPath: html))
      print("wrote \(html): open it in a browser")
      return
    }
    let animate = !summary && isatty(STDOUT_FILENO) != 0
    if animate {
      for t in 0...episode.stepCount {
        print("\u{1B}[H\u{1B}[2J" + title + "\n" + EpisodeText.frame(episode, simulation, step: t))
        if step {
          print("(Enter: next step, q: quit) ", terminator: "")
          if readLine()?.lowercased() == "q" { break }
        } else {
          usleep(UInt32(1_000_000 / speed))
        }
      }
    } else if !summary {
      print(title)
      print(EpisodeText.frame(episode, simulation, step: episode.stepCount))
    }
    let end =
      episode.ends.last.map {
        $0 == .terminated ? "terminated" : $0 == .truncated ? "truncated" : "running"
      } ?? "empty"
    print(
      "\(episode.stepCount) steps, return \(String(format: "%.3f", episode.totalReward)), cost \(String(format: "%.0f", episode.costs.reduce(0, +))), \(end)"
    )
  }
}

/// `ranklab replay export FILE --to npz|csv|jsonl`.
struct ReplayExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export an episode to .npz (numpy), .csv or .jsonl for analysis.")

  enum Format: String, ExpressibleByArgument, CaseIterable { case npz, csv, jsonl }

  @Argument(help: "The episode file (.rlep).", completion: .file(extensions: ["rlep"]))
  var file: String

  @Option(help: "Output format: npz, csv or jsonl.")
  var to: Format

  @Option(help: "Output file (default: the input's name with the format's extension).")
  var out: String?

  func run() throws {
    let episode = try readEpisode(file)
    let destination = URL(
      fileURLWithPath: out ?? URL(fileURLWithPath: file).deletingPathExtension().path + "."
        + to.rawValue)
    try episode.export(to: destination)
    print("wrote \(destination.path)")
  }
}
