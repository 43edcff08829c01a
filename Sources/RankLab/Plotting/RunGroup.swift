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
  /// `pool` names sweep axes whose values are replicates (the `map` of a study over maps): runs
  /// that differ only in them join one group, `K=16,map=0` and `K=16,map=1` becoming `K=16`.
  /// `by` names the sweep axes to group by instead: every other axis is pooled with the seeds
  /// (`K` of a sweep over K × learning rate × map gives one group per K); an axis no run has is
  /// an error naming the axes there are.
  public static func load(paths: [String], pool: [String] = [], by: [String] = []) throws
    -> [RunGroup]
  {
    var groups: [RunGroup] = []
    var seenAxes: [String] = []
    for (source, path) in paths.enumerated() {
      var local: [RunGroup] = []
      for directory in try RunReader.discover(path) {
        var record = try RunReader.read(directory)
        for axis in axes(of: record.info.variant) where !seenAxes.contains(axis) {
          seenAxes.append(axis)
        }
        record.info.variant = pooledVariant(record.info.variant, pool: pool, by: by)
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
      for index in local.indices {
        local[index].runs.sort {
          $0.info.seed != $1.info.seed
            ? $0.info.seed < $1.info.seed : NaturalOrder.less($0.directory.path, $1.directory.path)
        }
      }
      groups += local
    }
    if let missing = by.first(where: { !seenAxes.contains($0) }) {
      throw PlotError.unknownAxis(missing, known: seenAxes)
    }
    return relabel(groups)
  }

  /// The axis names of a variant label (`K=16,map=0` → K, map).
  static func axes(of variant: String?) -> [String] {
    (variant ?? "").split(separator: ",").compactMap { part in
      part.split(separator: "=", maxSplits: 1).first.map(String.init)
    }
  }

  /// A variant label without the `axis=value` parts of the pooled axes (nil when none is left).
  public static func pooledVariant(_ variant: String?, pool: [String], by: [String] = [])
    -> String?
  {
    guard let variant, !pool.isEmpty || !by.isEmpty else { return variant }
    let kept = variant.split(separator: ",").filter { part in
      by.isEmpty
        ? !pool.contains { part.hasPrefix("\($0)=") } : by.contains { part.hasPrefix("\($0)=") }
    }
    return kept.isEmpty ? nil : kept.joined(separator: ",")
  }

  /// Labels each group by its variant when no other group has the same variant (K=16), else
  /// by study name and variant; groups without a variant by their name.
  public static func relabel(_ groups: [RunGroup]) -> [RunGroup] {
    var variantCounts: [String: Int] = [:]
    for group in groups { if let v = group.variant { variantCounts[v, default: 0] += 1 } }
    return groups.map { group in
      var group = group
      if let variant = group.variant {
        group.label = variantCounts[variant] == 1 ? variant : "\(group.name) \(variant)"
      } else {
        group.label = group.name
      }
      return group
    }
  }

  /// Name and variant, for tables where the study matters.
  public var fullLabel: String { variant.map { "\(name) \($0)" } ?? name }

  /// Every key logged by any run of `groups`, sorted, for "unknown metric" messages.
  public static func availableKeys(_ groups: [RunGroup]) -> [String] {
    groups.reduce(into: Set<String>()) { $0.formUnion($1.keys) }.sorted()
  }
}
