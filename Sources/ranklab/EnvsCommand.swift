import ArgumentParser
import Environments
import Foundation

/// `ranklab envs`: every environment with its spaces and time limit.
struct EnvsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "envs",
    abstract: "List every environment with its observation and action spaces and time limit.",
    discussion: """
      Use an id from this list as `env.id` in a config. Gridworld options (observation \
      encoding, size, map_seed, map_file, ...) are described in Environments/Maps/README.md.
      """)

  @Flag(help: "Print one JSON object keyed by environment id.")
  var json = false

  func run() throws {
    var rows: [(id: String, observation: String, action: String, limit: String, summary: String)] =
      []
    for entry in EnvironmentCatalog.entries {
      // Environments that need options to exist (a map file) list what they depend on.
      guard let env = try? entry.make(EnvironmentOptions()) else {
        rows.append((entry.id, "per map", "per map", "per map", entry.summary))
        continue
      }
      rows.append(
        (
          entry.id, env.observationSpace.summary, env.actionSpace.summary,
          env.timeLimit.map(String.init) ?? "-", entry.summary
        ))
    }
    if json {
      let object = Dictionary(
        uniqueKeysWithValues: rows.map {
          (
            $0.id,
            [
              "observation_space": $0.observation, "action_space": $0.action,
              "time_limit": $0.limit, "summary": $0.summary,
            ]
          )
        })
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    let header = ["id", "observation", "action", "limit"]
    let columns: [[String]] = [
      rows.map(\.id), rows.map(\.observation), rows.map(\.action), rows.map(\.limit),
    ]
    var widths: [Int] = []
    for (title, column) in zip(header, columns) {
      widths.append(max(title.count, column.map(\.count).max() ?? 0))
    }
    func line(_ cells: [String], _ last: String) -> String {
      var text = ""
      for (cell, width) in zip(cells, widths) {
        text += cell.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
      }
      return text + last
    }
    print(line(header, "description"))
    for row in rows { print(line([row.id, row.observation, row.action, row.limit], row.summary)) }
    print("\nPhysical parameters (env.params, Gymnasium's attribute names, with their defaults):")
    for entry in EnvironmentCatalog.entries where !entry.parameters.isEmpty {
      let list = entry.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      print("  \(entry.id.padding(toLength: 26, withPad: " ", startingAt: 0)) \(list)")
    }
  }
}
