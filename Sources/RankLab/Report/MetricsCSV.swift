import Foundation

/// Tidy CSV of every logged value: one row per (run, variant, seed, step, key, value), the
/// long format pandas' `read_csv` and R's `read.csv` pivot easily. `null` values are left out.
public enum MetricsCSV {
  public static let header = "run,variant,seed,step,key,value"

  public static func csv(_ groups: [RunGroup]) -> String {
    var out = header + "\n"
    for group in groups {
      let name = field(group.name)
      let variant = field(group.variant ?? "")
      for run in group.runs {
        let prefix = "\(name),\(variant),\(run.info.seed),"
        for row in run.rows {
          for key in row.values.keys.sorted() {
            guard let value = row.values[key] else { continue }
            out += prefix + "\(row.step),\(field(key)),\(value)\n"
          }
        }
      }
    }
    return out
  }

  /// Quotes a field when it holds a comma, quote or newline (RFC 4180).
  static func field(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
