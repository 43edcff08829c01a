/// Small pieces of hand-written SVG shared by the charts: escaping, the style sheet, text.
public enum SVGMarkup {
  public static let fontFamily =
    "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"

  /// Escapes text for XML content and attribute values.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }

  /// Escapes text for a JSON string inside an HTML `<script>` block.
  public static func json(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "<": out += "\\u003c"
      case ">": out += "\\u003e"
      case "&": out += "\\u0026"
      default:
        if scalar.value < 0x20 {
          out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A JSON number array with six significant digits; non-finite values become null.
  public static func jsonNumbers(_ values: [Double]) -> String {
    "[" + values.map { $0.isFinite ? String(format: "%.6g", $0) : "null" }.joined(separator: ",")
      + "]"
  }

  static func text(
    _ content: String, x: Double, y: Double, className: String, anchor: String = "start",
    extra: String = ""
  ) -> String {
    "<text x=\"\(NumberText.coordinate(x))\" y=\"\(NumberText.coordinate(y))\" class=\"\(className)\""
      + (anchor == "start" ? "" : " text-anchor=\"\(anchor)\"") + extra + ">"
      + escape(content) + "</text>\n"
  }

  /// Rough width of `text` at `size` px in a sans-serif face, to lay out legends.
  static func textWidth(_ text: String, size: Double) -> Double {
    Double(text.count) * size * 0.56
  }

  static func styleSheet(prefix: String) -> String {
    """
    <style>
    .\(prefix) .title{font-size:17px;font-weight:600;fill:#1a1a1a}
    .\(prefix) .subtitle{font-size:12px;fill:#5f6368}
    .\(prefix) .ptitle{font-size:13.5px;font-weight:600;fill:#202124}
    .\(prefix) .tick{font-size:11px;fill:#5f6368}
    .\(prefix) .axis{font-size:11.5px;fill:#3c4043}
    .\(prefix) .legend{font-size:12px;fill:#202124}
    .\(prefix) .grid{stroke:#e8eaed;stroke-width:1}
    .\(prefix) .frame{stroke:#9aa0a6;stroke-width:1;fill:none}
    .\(prefix) .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
    .\(prefix) .band{stroke:none;fill-opacity:0.16}
    .\(prefix) .crosshair{stroke:#5f6368;stroke-width:1;stroke-dasharray:3 3}
    </style>

    """
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
