/// Orders names the way a person reads them: `K=16` before `K=128`, `seed2` before `seed10`.
public enum NaturalOrder {
  public static func less(_ a: String, _ b: String) -> Bool {
    var i = a.unicodeScalars.makeIterator()
    var j = b.unicodeScalars.makeIterator()
    var x = i.next()
    var y = j.next()
    while let cx = x, let cy = y {
      if cx.properties.numericType != nil, cy.properties.numericType != nil,
        cx.isASCII, cy.isASCII
      {
        var nx = ""
        var ny = ""
        while let c = x, c.isASCII, c.properties.numericType != nil {
          nx.unicodeScalars.append(c)
          x = i.next()
        }
        while let c = y, c.isASCII, c.properties.numericType != nil {
          ny.unicodeScalars.append(c)
          y = j.next()
        }
        let vx = Double(nx) ?? 0
        let vy = Double(ny) ?? 0
        if vx != vy { return vx < vy }
        continue
      }
      if cx != cy { return cx.value < cy.value }
      x = i.next()
      y = j.next()
    }
    return x == nil && y != nil
  }
}
