import Foundation
import Yams

/// Reads YAML configs into typed schemas strictly: unknown keys (with the closest valid key),
/// wrong types, unknown choices and out-of-range values are all reported with the file, line,
/// column and key path; `--set key.path=value` overrides are validated the same way.
public enum ConfigLoader {
  /// A config ready to run, with the YAML of every key resolved (defaults filled in).
  public struct Loaded<Schema: ConfigSchema> {
    public var config: Schema
    public var resolvedYAML: String
    /// The user's tree after overrides (for sweeps and for locating values).
    let userTree: Node
  }

  /// Loads `text` (shown as `file` in errors) with `overrides` applied.
  public static func load<Schema: ConfigSchema>(
    _ schema: Schema.Type, text: String, file: String, overrides: [String] = []
  ) throws -> Loaded<Schema> {
    var tree = try parse(text, file: file)
    var overridePaths: [[String]: String] = [:]
    for override in overrides {
      let (path, value) = try parseOverride(override)
      try checkListIndices(path, in: tree, override: override)
      tree = set(value, at: path, in: tree)
      overridePaths[path] = override
    }
    return try resolve(schema, tree: tree, file: file, overridePaths: overridePaths)
  }

  /// Parses YAML text into a node tree (an empty file is an empty mapping).
  static func parse(_ text: String, file: String) throws -> Node {
    do {
      guard let node = try Yams.compose(yaml: text) else { return Node.mapping(.init([])) }
      guard node.mapping != nil else {
        throw ConfigError(issues: [
          issue(file, node.mark, "", "a config must be a mapping of keys to values")
        ])
      }
      return node
    } catch let error as YamlError {
      throw ConfigError(issues: [yamlIssue(error, file: file)])
    }
  }

  static func yamlIssue(_ error: YamlError, file: String) -> ConfigIssue {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
      .composer(_, let problem, let mark, _):
      return ConfigIssue(
        source: file, line: mark.line, column: mark.column, path: "",
        message: "invalid YAML: \(problem)")
    default:
      return ConfigIssue(
        source: file, line: nil, column: nil, path: "", message: "invalid YAML: \(error)")
    }
  }

  static func parseOverride(_ text: String) throws -> ([String], Node) {
    let source = "--set \(text)"
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw ConfigError(issues: [
        ConfigIssue(
          source: source, path: "",
          message: "expected KEY.PATH=VALUE, e.g. agent.learning_rate=1e-3")
      ])
    }
    let path = text[..<equals].split(separator: ".").map(String.init)
    let valueText = String(text[text.index(after: equals)...])
    do {
      // An empty value is YAML null (plain style, so the schema checks see it as null).
      let value =
        try Yams.compose(yaml: valueText) ?? Node.scalar(.init("null", Tag(.null), .plain))
      return (path, value)
    } catch {
      throw ConfigError(issues: [
        ConfigIssue(
          source: source, path: path.joined(separator: "."), message: "the value is not valid YAML")
      ])
    }
  }

  /// Validates `tree` against the schema's defaults, decodes it, and range-checks the result.
  static func resolve<Schema: ConfigSchema>(
    _ schema: Schema.Type, tree: Node, file: String, overridePaths: [[String]: String]
  ) throws -> Loaded<Schema> {
    var issues: [ConfigIssue] = []
    func report(_ path: [String], _ message: String) {
      issues.append(
        locate(path, in: tree, file: file, overridePaths: overridePaths, message: message))
    }
    var user = tree
    if var mapping = tree.mapping {
      for key in Schema.reservedKeys { mapping[Node(key)] = nil }
      user = .mapping(mapping)
    }
    for problem in Schema.structuralProblems(in: user) { report(problem.path, problem.message) }
    guard issues.isEmpty else { throw ConfigError(issues: issues) }
    let defaults = try NodeEncoder().encode(Schema.defaults(for: user))
    let rules = TreeRules(
      choices: Schema.choices, shapes: Schema.shapes, numberMappings: Schema.numberMappings,
      movedKeys: Schema.movedKeys)
    check(user, against: defaults, path: [], rules: rules, report: report)
    guard issues.isEmpty else { throw ConfigError(issues: issues) }
    let merged = merge(user, over: defaults, path: [], shapes: Schema.shapes)
    let config: Schema
    do {
      config = try YAMLDecoder().decode(Schema.self, from: merged)
    } catch let error as DecodingError {
      let (path, message) = describe(error)
      report(path, message)
      throw ConfigError(issues: issues)
    }
    for problem in config.validate() {
      report(problem.path.split(separator: ".").map(String.init), problem.message)
    }
    guard issues.isEmpty else { throw ConfigError(issues: issues) }
    let resolved = try NodeEncoder().encode(config)
    return Loaded(
      config: config, resolvedYAML: try Yams.serialize(node: resolved, sortKeys: false),
      userTree: tree)
  }

  /// What `check` and `merge` need besides the trees.
  struct TreeRules {
    var choices: [String: [String]]
    var shapes: [String: Node]
    var numberMappings: Set<String>
    var movedKeys: [String: String] = [:]
  }

  /// The dotted path with list indices written `[]` (how shapes name list items).
  static func shapeKey(_ path: [String]) -> String {
    var key = ""
    for component in path {
      if Int(component) != nil {
        key += "[]"
      } else {
        key += (key.isEmpty ? "" : ".") + component
      }
    }
    return key
  }

  /// Compares the user's tree with the defaults tree: keys must exist, kinds must agree. Where
  /// the default is null or an empty list, the schema's shape for that place stands in.
  static func check(
    _ user: Node, against defaults: Node, path: [String], rules: TreeRules,
    report: ([String], String) -> Void
  ) {
    let dotted = path.joined(separator: ".")
    let key = shapeKey(path)
    if rules.numberMappings.contains(key) {
      guard let mapping = user.mapping else {
        if !isNull(user) { report(path, "'\(dotted)' must be a mapping of names to numbers") }
        return
      }
      for (name, value) in mapping where !isNumber(value) {
        report(path + [name.string ?? ""], "'\(dotted).\(name.string ?? "")' must be a number")
      }
      return
    }
    if isNull(defaults), !isNull(user), let shape = rules.shapes[key] {
      check(user, against: shape, path: path, rules: rules, report: report)
      return
    }
    switch (user, defaults) {
    case (.mapping(let u), .mapping(let d)):
      let valid: [String] = Array(d.keys.compactMap(\.string))
      for (key, value) in u {
        guard let name = key.string else { continue }
        guard let expected = d[Node(name)] else {
          let under = path.isEmpty ? "at the top level" : "under '\(dotted)'"
          let full = path.isEmpty ? name : "\(dotted).\(name)"
          let hint =
            rules.movedKeys[full].map { "; it moved to '\($0)'" }
            ?? Spelling.closest(to: name, among: valid).map { "; did you mean '\($0)'?" }
            ?? "; valid keys: \(valid.joined(separator: ", "))"
          report(path + [name], "unknown key '\(name)' \(under)\(hint)")
          continue
        }
        check(value, against: expected, path: path + [name], rules: rules, report: report)
      }
    case (_, .mapping):
      if !isNull(user) { report(path, "'\(dotted)' must be a mapping of keys to values") }
    case (.sequence(let u), .sequence(let d)):
      if let first = d.first ?? rules.shapes[key + "[]"] {
        for (i, item) in u.enumerated() {
          check(item, against: first, path: path + ["\(i)"], rules: rules, report: report)
        }
      }
    case (_, .sequence):
      if !isNull(user) { report(path, "'\(dotted)' must be a list, got \(kind(user))") }
    case (.scalar(let u), .scalar(let d)):
      if let allowed = rules.choices[key], !allowed.contains(u.string),
        !(isNull(user) && isNull(defaults))
      {
        report(
          path,
          "invalid value '\(u.string)' for '\(dotted)'; expected one of: \(allowed.joined(separator: ", "))"
        )
      } else if isNumber(defaults) && !isNumber(user) && !isNull(user) {
        report(path, "'\(dotted)' must be a number, got '\(u.string)'")
      } else if isBool(defaults) && !isBool(user) {
        report(path, "'\(dotted)' must be true or false, got '\(u.string)'")
      } else if d.tag.description.hasSuffix("str") && !isNull(defaults) && isNull(user) {
        report(path, "'\(dotted)' must be a string, got null")
      }
    case (_, .scalar):
      if !isNull(defaults) { report(path, "'\(dotted)' must be a single value, got \(kind(user))") }
    default:
      break
    }
  }

  /// Deep-merges the user's values over the defaults (an optional section or a list item over
  /// its shape, so that what the user left out takes the shape's defaults).
  static func merge(_ user: Node, over defaults: Node, path: [String], shapes: [String: Node])
    -> Node
  {
    let key = shapeKey(path)
    if isNull(defaults), user.mapping != nil, let shape = shapes[key] {
      return merge(user, over: shape, path: path, shapes: shapes)
    }
    if case .sequence(let items) = user, let shape = shapes[key + "[]"] {
      return .sequence(
        .init(
          items.enumerated().map {
            merge($0.element, over: shape, path: path + ["\($0.offset)"], shapes: shapes)
          }))
    }
    guard case .mapping(let u) = user, case .mapping(var d) = defaults else { return user }
    for (key, value) in u {
      let name = key.string ?? ""
      d[key] =
        d[key].map { merge(value, over: $0, path: path + [name], shapes: shapes) } ?? value
    }
    return .mapping(d)
  }

  /// Returns `tree` with `value` at `path`, creating mappings on the way.
  /// A list item set by index must exist in the file's list or be one past its end.
  static func checkListIndices(_ path: [String], in tree: Node, override: String) throws {
    var node: Node? = tree
    for (depth, component) in path.enumerated() {
      let dotted = path.prefix(depth).joined(separator: ".")
      if let index = Int(component), depth > 0 {
        guard let items = node?.sequence else {
          throw ConfigError(issues: [
            ConfigIssue(
              source: "--set \(override)", path: dotted,
              message:
                "'\(dotted)' is not a list in the config, so it has no item \(index); set the whole list (--set \(dotted)=[...])"
            )
          ])
        }
        guard index <= items.count else {
          throw ConfigError(issues: [
            ConfigIssue(
              source: "--set \(override)", path: dotted,
              message:
                "'\(dotted)' has \(items.count) item\(items.count == 1 ? "" : "s"): an index may be 0...\(items.count) (\(items.count) appends)"
            )
          ])
        }
        node = index < items.count ? items[index] : nil
      } else {
        node = node?.mapping?[Node(component)]
      }
    }
  }

  static func set(_ value: Node, at path: [String], in tree: Node) -> Node {
    guard let head = path.first else { return value }
    // A list item by index (`--set distill.teachers.1=runs/b`); one past the end appends.
    if let index = Int(head), var items = tree.sequence.map(Array.init), index <= items.count {
      let rest = Array(path.dropFirst())
      if index == items.count {
        items.append(set(value, at: rest, in: Node.mapping(.init([]))))
      } else {
        items[index] = set(value, at: rest, in: items[index])
      }
      return .sequence(.init(items))
    }
    var mapping = tree.mapping ?? Node.Mapping([])
    let child = mapping[Node(head)] ?? Node.mapping(.init([]))
    mapping[Node(head)] = set(value, at: Array(path.dropFirst()), in: child)
    return .mapping(mapping)
  }

  /// The issue for `path`: at the override that set it, or at the deepest node of it in the file.
  static func locate(
    _ path: [String], in tree: Node, file: String, overridePaths: [[String]: String],
    message: String
  ) -> ConfigIssue {
    let dotted = path.joined(separator: ".")
    for length in stride(from: path.count, through: 1, by: -1) {
      if let override = overridePaths[Array(path.prefix(length))] {
        return ConfigIssue(source: "--set \(override)", path: dotted, message: message)
      }
    }
    var node = tree
    var mark = tree.mark
    for component in path {
      if let mapping = node.mapping, let pair = mapping.first(where: { $0.key.string == component })
      {
        mark = pair.key.mark ?? mark
        node = pair.value
      } else if let items = node.sequence, let index = Int(component), index < items.count {
        node = items[index]
        mark = node.mark ?? mark
      } else {
        break
      }
    }
    return issue(file, mark, dotted, message)
  }

  static func issue(_ file: String, _ mark: Mark?, _ path: String, _ message: String) -> ConfigIssue
  {
    ConfigIssue(
      source: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path, message: message)
  }

  static func describe(_ error: DecodingError) -> ([String], String) {
    func path(_ keys: [any CodingKey]) -> [String] {
      keys.map { $0.intValue.map(String.init) ?? $0.stringValue }
    }
    switch error {
    case .typeMismatch(let type, let context):
      let p = path(context.codingPath)
      return (p, "'\(p.joined(separator: "."))' must be \(typeName(type))")
    case .valueNotFound(let type, let context):
      let p = path(context.codingPath)
      return (p, "'\(p.joined(separator: "."))' must be \(typeName(type)), got null")
    case .keyNotFound(let key, let context):
      let p = path(context.codingPath + [key])
      return (p, "missing key '\(p.joined(separator: "."))'")
    case .dataCorrupted(let context):
      let p = path(context.codingPath)
      return (p, "invalid value for '\(p.joined(separator: "."))': \(context.debugDescription)")
    @unknown default:
      return ([], "\(error)")
    }
  }

  static func typeName(_ type: Any.Type) -> String {
    let name = "\(type)"
    if ["Int", "UInt64", "Int64", "Int32"].contains(where: { name.contains($0) }) {
      return "an integer"
    }
    if name.contains("Double") || name.contains("Float") { return "a number" }
    if name.contains("Bool") { return "true or false" }
    if name.contains("String") { return "a string" }
    if name.contains("Array") { return "a list" }
    return "a \(name)"
  }

  static func isNull(_ node: Node) -> Bool {
    guard case .scalar(let s) = node else { return false }
    return s.style == .plain && ["null", "~", "", "Null", "NULL"].contains(s.string)
  }
  static func isNumber(_ node: Node) -> Bool {
    guard case .scalar(let s) = node, s.style == .plain else { return false }
    return Double(s.string) != nil || [".inf", "-.inf", ".nan"].contains(s.string)
  }
  static func isBool(_ node: Node) -> Bool {
    guard case .scalar(let s) = node, s.style == .plain else { return false }
    return ["true", "false", "True", "False", "TRUE", "FALSE"].contains(s.string)
  }
  static func kind(_ node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    default: return "'\(node.string ?? "")'"
    }
  }
}
