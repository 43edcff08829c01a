import Environments
import Foundation

/// File formats an episode exports to.
public enum EpisodeExportFormat: String, CaseIterable, Sendable {
  /// One row per step, header row first.
  case csv
  /// One JSON object per step and line.
  case jsonl
  /// NumPy archive of the columns (`numpy.load`).
  case npz

  /// The format a file name's extension names, if any.
  public init?(url: URL) {
    self.init(rawValue: url.pathExtension.lowercased())
  }
}

extension Episode {
  /// Writes the export in the format its extension names (`.csv`, `.jsonl`, `.npz`).
  public func export(to url: URL) throws {
    guard let format = EpisodeExportFormat(url: url) else {
      throw EpisodeFileError(
        .io,
        "unknown export extension '.\(url.pathExtension)'; use "
          + EpisodeExportFormat.allCases.map { ".\($0.rawValue)" }.joined(separator: ", "),
        path: url.path)
    }
    let bytes: [UInt8]
    switch format {
    case .csv: bytes = Array(csv().utf8)
    case .jsonl: bytes = Array(jsonLines().utf8)
    case .npz: bytes = try npz()
    }
    do {
      try Data(bytes).write(to: url, options: .atomic)
    } catch {
      throw EpisodeFileError(.io, "cannot write: \(error.localizedDescription)", path: url.path)
    }
  }

  /// Column names of a step row, shared by the CSV header and the JSON keys' order.
  private var actionNames: [String] {
    header.action.kind == .discrete ? ["action"] : (0..<header.action.width).map { "action_\($0)" }
  }

  /// CSV, one row per step: `step`, `obs_i` (the observation acted on), the action, `reward`,
  /// `cost`, `terminated`, `truncated` (0/1), `next_obs_i`, then each extra as `name_i`.
  /// Floats are printed in shortest round-trip form (`-0.0` kept); non-finite values as `nan`,
  /// `inf`, `-inf`, which every CSV reader parses (NaN payloads survive only in `.npz`).
  public func csv() -> String {
    let width = header.observationWidth
    var names = ["step"] + (0..<width).map { "obs_\($0)" } + actionNames
    names += ["reward", "cost", "terminated", "truncated"] + (0..<width).map { "next_obs_\($0)" }
    for field in header.extras { names += (0..<field.width).map { "\(field.name)_\($0)" } }
    var text = names.joined(separator: ",") + "\n"
    for t in 0..<stepCount {
      var row = [String(t)] + observation(t).map(csvNumber)
      switch actions {
      case .discrete(let values): row.append(String(values[t]))
      case .continuous: row += action(t).continuousValues.map(csvNumber)
      }
      row += [csvNumber(rewards[t]), csvNumber(costs[t])]
      row += [ends[t] == .terminated ? "1" : "0", ends[t] == .truncated ? "1" : "0"]
      row += observation(t + 1).map(csvNumber)
      for field in header.extras {
        row += (extra(field.name, at: t) ?? []).map(csvNumber)
      }
      text += row.joined(separator: ",") + "\n"
    }
    return text
  }

  /// JSON Lines, one object per step: `step`, `observation`, `action`, `reward`, `cost`, `end`
  /// (`none` / `terminated` / `truncated`), `next_observation`, then each extra by name.
  /// JSON has no NaN or infinity: those are written as null.
  public func jsonLines() -> String {
    var text = ""
    for t in 0..<stepCount {
      var fields = ["\"step\":\(t)", "\"observation\":\(jsonArray(observation(t)))"]
      switch actions {
      case .discrete(let values): fields.append("\"action\":\(values[t])")
      case .continuous: fields.append("\"action\":\(jsonArray(action(t).continuousValues))")
      }
      fields += [
        "\"reward\":\(jsonNumber(rewards[t]))", "\"cost\":\(jsonNumber(costs[t]))",
        "\"end\":\"\(ends[t].name)\"", "\"next_observation\":\(jsonArray(observation(t + 1)))",
      ]
      for field in header.extras {
        fields.append("\(jsonString(field.name)):\(jsonArray(extra(field.name, at: t) ?? []))")
      }
      text += "{" + fields.joined(separator: ",") + "}\n"
    }
    return text
  }

  /// A NumPy `.npz`: `observations` (T+1, W) float32, `actions` (T,) int32 or (T, A) float32,
  /// `rewards` and `costs` (T,) float64, `ends` (T,) uint8 (0 none, 1 terminated, 2 truncated),
  /// each extra (T, width) float32 under its name (non-alphanumerics become `_`), and `header`,
  /// the header JSON as a 0-d bytes array.
  public func npz() throws -> [UInt8] {
    let steps = stepCount
    var archive = NumPyArchive()
    archive.add(
      "observations", observations, descr: "<f4", shape: [steps + 1, header.observationWidth])
    switch actions {
    case .discrete(let values): archive.add("actions", values, descr: "<i4", shape: [steps])
    case .continuous(let values):
      archive.add("actions", values, descr: "<f4", shape: [steps, header.action.width])
    }
    archive.add("rewards", rewards, descr: "<f8", shape: [steps])
    archive.add("costs", costs, descr: "<f8", shape: [steps])
    archive.add("ends", ends.map(\.rawValue), descr: "|u1", shape: [steps])
    let reserved: Set = ["observations", "actions", "rewards", "costs", "ends", "header"]
    for (index, field) in header.extras.enumerated() {
      var name = String(field.name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
      if reserved.contains(name) { name = "extra_" + name }
      archive.add(name, extras[index], descr: "<f4", shape: [steps, field.width])
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    archive.addBytes("header", Array(try encoder.encode(header)))
    return try archive.zipBytes()
  }
}

extension Action {
  fileprivate var continuousValues: [Float] {
    if case .continuous(let values) = self { return values }
    return []
  }
}

extension EpisodeEnd {
  fileprivate var name: String {
    switch self {
    case .none: return "none"
    case .terminated: return "terminated"
    case .truncated: return "truncated"
    }
  }
}

private func csvNumber<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String {
  if value.isNaN { return "nan" }
  if value.isInfinite { return value < 0 ? "-inf" : "inf" }
  return "\(value)"
}

private func jsonNumber<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String {
  value.isFinite ? "\(value)" : "null"
}

private func jsonArray<C: Collection>(_ values: C) -> String where C.Element == Float {
  "[" + values.map { jsonNumber($0) }.joined(separator: ",") + "]"
}

private func jsonString(_ text: String) -> String {
  let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
  return String(decoding: data, as: UTF8.self)
}
