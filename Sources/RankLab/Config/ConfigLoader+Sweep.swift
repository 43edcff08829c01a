import Yams

extension ConfigLoader {
  /// One config of a sweep: its label (e.g. `K=16`, empty without a sweep) and the loaded config.
  public struct Variant<Schema: ConfigSchema> {
    public var label: String
    public var loaded: Loaded<Schema>
  }

  /// Loads a config and expands its optional top-level `sweep:` mapping into one config per
  /// combination of values (the cartesian product, in file order). Each sweep entry is
  /// `key.path: [values]`, `key.path: {label: NAME, values: [values]}`, or a group of keys that
  /// move together, `NAME: {key.path: [values], other.path: [values of the same length]}`.
  /// A variant is labelled `NAME=value` (NAME defaults to the key's last component; a group
  /// shows its first key's value), entries joined by commas.
  public static func loadVariants<Schema: ConfigSchema>(
    _ schema: Schema.Type, text: String, file: String, overrides: [String] = []
  ) throws -> [Variant<Schema>] {
    let base = try load(schema, text: text, file: file, overrides: overrides)
    guard let sweep = base.userTree.mapping?[Node("sweep")] else {
      return [Variant(label: "", loaded: base)]
    }
    // Command-line overrides win over sweep values: they are applied last.
    let fileTree = try parse(text, file: file)
    var parsedOverrides: [([String], Node)] = []
    var overridePaths: [[String]: String] = [:]
    for override in overrides {
      let parsed = try parseOverride(override)
      parsedOverrides.append(parsed)
      overridePaths[parsed.0] = override
    }
    let all = try sweepAxes(sweep, file: file)
    // A reserved section (the sweep's own `slurm:` resources) is dropped before a variant is
    // resolved, so sweeping it would silently do nothing.
    if let reserved = all.flatMap(\.paths).first(where: {
      $0.first.map(Schema.reservedKeys.contains) ?? false
    }) {
      let name = reserved.joined(separator: ".")
      let mark = sweep.mapping?.first {
        $0.key.string == name || $0.value.mapping?.keys.contains(Node(name)) == true
      }?.key.mark
      throw ConfigError(issues: [
        issue(
          file, mark ?? sweep.mark, "sweep.\(name)",
          "'\(name)' cannot be swept: '\(reserved[0])' is not part of a run's config (one sbatch array serves the whole sweep)"
        )
      ])
    }
    let axes = try narrowed(all, by: parsedOverrides, overrides: overridePaths, file: file)
    var variants: [Variant<Schema>] = []
    var combination = [Int](repeating: 0, count: axes.count)
    while true {
      var tree = fileTree
      var labels: [String] = []
      for (axis, index) in zip(axes, combination) {
        for (path, values) in zip(axis.paths, axis.columns) {
          tree = set(values[index], at: path, in: tree)
        }
        labels.append("\(axis.label)=\(labelText(axis.columns[0][index]))")
      }
      for (path, value) in parsedOverrides { tree = set(value, at: path, in: tree) }
      variants.append(
        Variant(
          label: labels.joined(separator: ","),
          loaded: try resolve(schema, tree: tree, file: file, overridePaths: overridePaths)))
      // Advance the odometer, last axis fastest.
      var position = axes.count - 1
      while position >= 0 {
        combination[position] += 1
        if combination[position] < axes[position].columns[0].count { break }
        combination[position] = 0
        position -= 1
      }
      if position < 0 {
        // Labels name directories: two variants with one label would write into one place.
        var seen: [String: Int] = [:]
        for (index, variant) in variants.enumerated() {
          if let first = seen[variant.label] {
            throw ConfigError(issues: [
              issue(
                file, sweep.mark, "sweep",
                "sweep variants \(first + 1) and \(index + 1) would both be labelled '\(variant.label)' (and share a directory); give the entries distinct values or a {label: NAME, values: [...]}"
              )
            ])
          }
          seen[variant.label] = index
        }
        return variants
      }
    }
  }

  /// An override of the key an axis is labelled by (its first key) selects that axis's entry
  /// with the value, so `--set env.map_seed=1` runs the `map=1` variants and every directory
  /// label stays true; a value the axis does not list is an error, as its label would lie.
  /// An override of another key of a group applies to every variant (the label names no
  /// value of it).
  static func narrowed(
    _ axes: [SweepAxis], by overrides: [([String], Node)], overrides texts: [[String]: String],
    file: String
  ) throws -> [SweepAxis] {
    try axes.map { axis in
      guard let (path, value) = overrides.last(where: { $0.0 == axis.paths[0] }) else {
        return axis
      }
      let wanted = labelText(value)
      let kept = axis.columns[0].indices.filter { index in
        let listed = axis.columns[0][index]
        if labelText(listed) == wanted { return true }
        if let a = listed.string.flatMap(Double.init), let b = value.string.flatMap(Double.init) {
          return a == b
        }
        return false
      }
      guard !kept.isEmpty else {
        let listed = axis.columns[0].map(labelText).joined(separator: ", ")
        throw ConfigError(issues: [
          ConfigIssue(
            source: "--set \(texts[path] ?? path.joined(separator: "."))", line: nil, column: nil,
            path: path.joined(separator: "."),
            message:
              "'\(path.joined(separator: "."))' is swept (axis '\(axis.label)': \(listed)); pick one of those values to run its variants, or change the sweep in the file"
          )
        ])
      }
      var narrowed = axis
      narrowed.columns = axis.columns.map { column in kept.map { column[$0] } }
      return narrowed
    }
  }

  /// A sweep value as it appears in a label and a directory name: scalars as written, lists
  /// joined by `x` (`[256, 256]` → `256x256`), mappings as `key-value` pairs; characters that
  /// do not belong in a path component become `_`.
  static func labelText(_ node: Node) -> String {
    let text: String
    switch node {
    case .scalar(let scalar): text = scalar.string
    case .sequence(let items): text = items.map(labelText).joined(separator: "x")
    case .mapping(let pairs):
      text = pairs.map { "\($0.key.string ?? "")-\(labelText($0.value))" }.joined(separator: "_")
    case .alias: text = "alias"
    }
    let safe = text.map { character -> Character in
      character.isLetter || character.isNumber || "+-._x".contains(character) ? character : "_"
    }
    let label = String(safe)
    return label.isEmpty || label == "." || label == ".." ? "_" : label
  }

  /// One dimension of a sweep: one or more keys whose value lists are walked together.
  struct SweepAxis {
    var paths: [[String]]
    var label: String
    var columns: [[Node]]
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
      func fail(_ message: String) -> ConfigError {
        ConfigError(issues: [issue(file, key.mark, "sweep.\(name)", message)])
      }
      if let spec = value.mapping, spec[Node("values")] == nil {
        // A group: every key's list has the same length and they advance together.
        var paths: [[String]] = []
        var columns: [[Node]] = []
        for (inner, list) in spec {
          guard let values = list.sequence.map(Array.init), !values.isEmpty else {
            throw fail(
              "sweep group '\(name)': '\(inner.string ?? "")' needs a non-empty list of values")
          }
          paths.append((inner.string ?? "").split(separator: ".").map(String.init))
          columns.append(values)
        }
        guard let length = columns.first?.count, columns.allSatisfy({ $0.count == length }) else {
          throw fail("sweep group '\(name)' needs lists of the same length")
        }
        axes.append(SweepAxis(paths: paths, label: name, columns: columns))
        continue
      }
      var label = path.last ?? name
      var values = value.sequence.map(Array.init)
      if let spec = value.mapping {
        label = spec[Node("label")]?.string ?? label
        values = spec[Node("values")]?.sequence.map(Array.init)
      }
      guard let values, !values.isEmpty else {
        throw fail(
          "sweep entry '\(name)' needs a non-empty list of values (or {label: NAME, values: [...]})"
        )
      }
      axes.append(SweepAxis(paths: [path], label: label, columns: [values]))
    }
    return axes
  }
}
