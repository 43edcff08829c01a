import Foundation

/// The seeds of one configuration: one run, or one value of a sweep (same name and variant).
public struct RunGroup: Sendable {
  public var name: String
  public var variant: String?
  /// Index of the command-line path the group was found under.
  public var source: Int
  public var runs: [RunRecord]
  /// What legends and tables call the group.
  public var label: String

  public init(name: String, variant: String?, source: Int, runs: [RunRecord]) {
    self.name = name
    self.variant = variant
    self.source = source
    self.runs = runs
    self.label = variant ?? name
  }

  /// Every key logged by any seed of the group.
  public var keys: Set<String> { runs.reduce(into: []) { $0.formUnion($1.keys) } }

  /// Reads every run under each path and groups seeds by (name, variant) from `run.json`;
  /// groups keep the order of the paths, and sweep values are in natural order (K=4 < K=16).
  public static func load(paths: [String]) throws -> [RunGroup] {
    var groups: [RunGroup] = []
    for (source, path) in paths.enumerated() {
      var local: [RunGroup] = []
      for directory in try RunReader.discover(path) {
        let record = try RunReader.read(directory)
        let info = record.info
        if let index = local.firstIndex(where: {
          $0.name == info.name && $0.variant == info.variant
        }) {
          local[index].runs.append(record)
        } else if let index = groups.firstIndex(where: {
          $0.name == info.name && $0.variant == info.variant
        }) {
          // The same configuration named twice on the command line: one group, not two.
          groups[index].runs.append(record)
        } else {
          local.append(
            RunGroup(name: info.name, variant: info.variant, source: source, runs: [record]))
        }
      }
      local.sort { a, b in
        a.name != b.name
          ? NaturalOrder.less(a.name, b.name) : NaturalOrder.less(a.variant ?? "", b.variant ?? "")
      }
      for index in local.indices { local[index].runs.sort { $0.info.seed < $1.info.seed } }
      groups += local
    }
    return relabel(groups)
  }

  /// Labels groups by variant alone when every group shares one study name, else by both.
  public static func relabel(_ groups: [RunGroup]) -> [RunGroup] {
    let names = Set(groups.map(\.name))
    return groups.map { group in
      var group = group
      if names.count <= 1 {
        group.label = group.variant ?? group.name
      } else {
        group.label = group.variant.map { "\(group.name) \($0)" } ?? group.name
      }
      return group
    }
  }

  /// Every key logged by any run of `groups`, sorted, for "unknown metric" messages.
  public static func availableKeys(_ groups: [RunGroup]) -> [String] {
    groups.reduce(into: Set<String>()) { $0.formUnion($1.keys) }.sorted()
  }
}
