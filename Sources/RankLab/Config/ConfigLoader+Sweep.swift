import Yams

extension ConfigLoader {
  /// One config of a sweep: its label (e.g. `K=16`, empty without a sweep) and the loaded config.
  public struct Variant<Schema: ConfigSchema> {
    public var label: String
    public var loaded: Loaded<Schema>
  }

  /// Loads a config and expands its optional top-level `sweep:` mapping into one config per
  /// combination of values (the cartesian product, in file order). Each sweep entry is
  /// `key.path: [values]` or `key.path: {label: NAME, values: [values]}`; a variant is labelled
  /// `NAME=value` (NAME defaults to the key's last component), entries joined by commas.
  public static func loadVariants<Schema: ConfigSchema>(
    _ schema: Schema.Type, text: String, file: String, overrides: [String] = []
  ) throws -> [Variant<Schema>] {
    let base = try load(schema, text: text, file: file, overrides: overrides)
    guard let sweep = base.userTree.mapping?[Node("sweep")] else {
      return [Variant(label: "", loaded: base)]
    }
    let axes = try sweepAxes(sweep, file: file)
    var variants: [Variant<Schema>] = []
    var combination = [Int](repeating: 0, count: axes.count)
    while true {
      var tree = base.userTree
      var labels: [String] = []
      for (axis, index) in zip(axes, combination) {
        tree = set(axis.values[index], at: axis.path, in: tree)
        labels.append("\(axis.label)=\(axis.values[index].string ?? "?")")
      }
      variants.append(
        Variant(
          label: labels.joined(separator: ","),
          loaded: try resolve(schema, tree: tree, file: file, overridePaths: [:])))
      // Advance the odometer, last axis fastest.
      var position = axes.count - 1
      while position >= 0 {
        combination[position] += 1
        if combination[position] < axes[position].values.count { break }
        combination[position] = 0
        position -= 1
      }
      if position < 0 { return variants }
    }
  }

  struct SweepAxis {
    var path: [String]
    var label: String
    var values: [Node]
  }

  static func sweepAxes(_ sweep: Node, file: String) throws -> [SweepAxis] {
    guard let mapping = sweep.mapping, !mapping.isEmpty else {
      throw ConfigError(issues: [
        issue(file, sweep.mark, "sweep", "'sweep' must map key paths to lists of values")
      ])
    }
    var axes: [SweepAxis] = []
    for (key, value) in mapping {
      let name = key.string ?? ""
      let path = name.split(separator: ".").map(String.init)
      var label = path.last ?? name
      var values = value.sequence.map(Array.init)
      if let spec = value.mapping {
        label = spec[Node("label")]?.string ?? label
        values = spec[Node("values")]?.sequence.map(Array.init)
      }
      guard let values, !values.isEmpty else {
        throw ConfigError(issues: [
          issue(
            file, key.mark, "sweep.\(name)",
            "sweep entry '\(name)' needs a non-empty list of values (or {label: NAME, values: [...]})"
          )
        ])
      }
      axes.append(SweepAxis(path: path, label: label, values: values))
    }
    return axes
  }
}
