import Foundation

/// Distinct observation rows, each stored once and named by a 32-bit id, with a count of the
/// frames that use it: a gridworld's replay then keeps a few hundred rows however many
/// transitions it holds. Rows are compared bit for bit (so -0 and 0, and NaN payloads, stay
/// distinct and round-trip exactly). A row whose last user is evicted is forgotten and its id
/// reused.
final class ObservationTable {
  let width: Int
  /// Row-major rows; row `id` starts at `id * width`. Ids of freed rows are reused. Manually
  /// managed so that row pointers handed to samplers stay valid until the next insertion.
  private var rows: UnsafeMutablePointer<Float>
  private var rowCapacity = 64
  /// Frames using each row; 0 marks a free id.
  private(set) var users: [Int32] = []
  private(set) var freeIDs: [UInt32] = []
  /// Open-addressing hash index of the live rows: `empty`, `deleted` or an id.
  private var slots: [Int32]
  private var occupiedSlots = 0
  private static let empty: Int32 = -1
  private static let deleted: Int32 = -2

  init(width: Int) {
    self.width = width
    slots = [Int32](repeating: Self.empty, count: 1024)
    rows = .allocate(capacity: rowCapacity * width)
  }

  deinit { rows.deallocate() }

  /// Live distinct rows.
  var liveCount: Int { users.count - freeIDs.count }

  /// Bytes held: rows, user counts, free list and index.
  var byteCount: Int {
    // Counts, not array capacities: those depend on the allocator, and logged figures must not.
    rowCapacity * width * 4 + users.count * 4 + freeIDs.count * 4 + slots.count * 4
  }

  /// The id of `row`, adding it when new; counts one more user.
  func intern(_ row: UnsafePointer<Float>) -> UInt32 {
    if 2 * (occupiedSlots + 1) > slots.count {
      // Deleted markers count as occupied; when live rows are few, clearing them is enough.
      // Doubling on every rehash would grow the index with every row ever seen.
      rehash(capacity: 4 * (liveCount + 1) <= slots.count ? slots.count : slots.count * 2)
    }
    let mask = slots.count - 1
    var position = Int(truncatingIfNeeded: hash(row)) & mask
    var firstDeleted = -1
    while true {
      let entry = slots[position]
      if entry == Self.empty { break }
      if entry == Self.deleted {
        if firstDeleted < 0 { firstDeleted = position }
      } else if equals(row, UInt32(entry)) {
        users[Int(entry)] += 1
        return UInt32(entry)
      }
      position = (position + 1) & mask
    }
    let id = store(row)
    if firstDeleted >= 0 {
      slots[firstDeleted] = Int32(id)
    } else {
      slots[position] = Int32(id)
      occupiedSlots += 1
    }
    return id
  }

  /// Drops one user of `id`; the row is forgotten when it has none left.
  func release(_ id: UInt32) {
    let index = Int(id)
    precondition(users[index] > 0, "released an observation row that has no users")
    users[index] -= 1
    guard users[index] == 0 else { return }
    let mask = slots.count - 1
    var position = Int(truncatingIfNeeded: hash(row(id))) & mask
    while slots[position] != Int32(id) { position = (position + 1) & mask }
    slots[position] = Self.deleted
    freeIDs.append(id)
  }

  func isLive(_ id: UInt32) -> Bool { Int(id) < users.count && users[Int(id)] > 0 }

  @inline(__always) func row(_ id: UInt32) -> UnsafePointer<Float> {
    UnsafePointer(rows + Int(id) * width)
  }

  private func store(_ row: UnsafePointer<Float>) -> UInt32 {
    let id: UInt32
    if let reused = freeIDs.popLast() {
      id = reused
    } else {
      id = UInt32(users.count)
      users.append(0)
      if users.count > rowCapacity { grow(to: rowCapacity * 2) }
    }
    (rows + Int(id) * width).update(from: row, count: width)
    users[Int(id)] = 1
    return id
  }

  private func grow(to capacity: Int) {
    let larger = UnsafeMutablePointer<Float>.allocate(capacity: capacity * width)
    larger.update(from: rows, count: min(rowCapacity, capacity) * width)
    rows.deallocate()
    rows = larger
    rowCapacity = capacity
  }

  private func equals(_ row: UnsafePointer<Float>, _ id: UInt32) -> Bool {
    let stored = self.row(id)
    return memcmp(row, stored, width * 4) == 0
  }

  /// A 64-bit mix of the row's bit patterns (multiply-xorshift per word).
  private func hash(_ row: UnsafePointer<Float>) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for i in 0..<width {
      h = (h ^ UInt64(row[i].bitPattern)) &* 0x9E37_79B9_7F4A_7C15
      h ^= h >> 29
    }
    return h
  }

  private func rehash(capacity: Int) {
    slots = [Int32](repeating: Self.empty, count: capacity)
    occupiedSlots = 0
    let mask = capacity - 1
    for id in 0..<users.count where users[id] > 0 {
      var position = Int(truncatingIfNeeded: hash(row(UInt32(id)))) & mask
      while slots[position] != Self.empty { position = (position + 1) & mask }
      slots[position] = Int32(id)
      occupiedSlots += 1
    }
  }
}

extension ObservationTable {
  /// Checkpoint form: rows, users and free list; the index is rebuilt on load.
  func save(into archive: inout CheckpointArchive, prefix: String) {
    archive.put(
      "\(prefix)/rows", array: Array(UnsafeBufferPointer(start: rows, count: users.count * width)))
    archive.put("\(prefix)/users", array: users)
    archive.put("\(prefix)/free", array: freeIDs)
    // The index and row capacity as they are, so a resumed run grows (and reports its memory)
    // exactly as the uninterrupted one.
    archive.put("\(prefix)/index", array: slots)
    archive.put("\(prefix)/row_capacity", array: [rowCapacity])
  }

  func load(from archive: CheckpointArchive, prefix: String) throws {
    let rows = try archive.array("\(prefix)/rows", of: Float.self)
    let users = try archive.array("\(prefix)/users", of: Int32.self)
    let free = try archive.array("\(prefix)/free", of: UInt32.self)
    let index = try archive.array("\(prefix)/index", of: Int32.self)
    let rowCapacity = try archive.array("\(prefix)/row_capacity", of: Int.self, count: 1)[0]
    guard rows.count == users.count * width, free.allSatisfy({ Int($0) < users.count }),
      users.allSatisfy({ $0 >= 0 }), rowCapacity >= max(users.count, 1), rowCapacity <= 1 << 32,
      index.count >= 2 * users.count, index.count.nonzeroBitCount == 1,
      index.allSatisfy({ $0 >= Self.deleted && $0 < Int32(clamping: users.count) })
    else {
      throw CheckpointError.invalid("\(prefix): observation table sizes disagree")
    }
    // Free ids are exactly the unused ones, each once, and the index names each live row once:
    // otherwise a later insertion could hand out an id that is still in use.
    let indexed = index.filter { $0 >= 0 }
    guard Set(free).count == free.count, free.allSatisfy({ users[Int($0)] == 0 }),
      free.count == users.count(where: { $0 == 0 }),
      Set(indexed).count == indexed.count, indexed.allSatisfy({ users[Int($0)] > 0 }),
      indexed.count == users.count - free.count
    else {
      throw CheckpointError.invalid(
        "\(prefix): observation table free list or index is inconsistent")
    }
    if rowCapacity != self.rowCapacity { grow(to: rowCapacity) }
    rows.withUnsafeBufferPointer {
      if let base = $0.baseAddress { self.rows.update(from: base, count: $0.count) }
    }
    self.users = users
    self.freeIDs = free
    slots = index
    occupiedSlots = index.count { $0 != Self.empty }
    // Every live row must be findable where the index says.
    for id in users.indices where users[id] > 0 {
      let mask = slots.count - 1
      var position = Int(truncatingIfNeeded: hash(row(UInt32(id)))) & mask
      var probes = 0
      while slots[position] != Int32(id) && slots[position] != Self.empty && probes < slots.count {
        position = (position + 1) & mask
        probes += 1
      }
      guard slots[position] == Int32(id) else {
        throw CheckpointError.invalid("\(prefix): observation row \(id) is missing from the index")
      }
    }
  }
}
