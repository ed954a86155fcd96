// SpanRows: rows that describe a span (a group membership, a process
// group's or a session's life, a stop), begun by one record and ended by a
// later one, kept in memory while the open batch lasts.
//
// Written at once, each such row costs an INSERT on its own (its rowid is
// needed for the end's UPDATE) and then that UPDATE: two statements, each
// a B-tree search. Most spans of a busy run begin and end within one batch
// (at most 100 ms), and nobody reads the file's uncommitted rows, so the
// end is set on the kept row and the row is appended once, many to a
// statement, before the commit. A span still open then is inserted on its
// own and its rowid kept: its end, in a later batch, updates the file.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sentry::inspect {

template <class Key, class Row>
class SpanRows {
 public:
  // Begins `key`'s span. An open span of the same key is left open and
  // forgotten, as a lost end would leave it.
  void Begin(Key key, Row row) {
    open_[key] = Spot{.kept = true, .at = static_cast<std::int64_t>(rows_.size())};
    rows_.emplace_back(key, std::move(row));
  }

  // Ends `key`'s open span: `end(row)` sets the end columns of a kept row.
  // Returns the rowid to update when the row is already in the file;
  // nothing when it was kept or when no span of `key` is open.
  template <class SetEnd>
  std::optional<std::int64_t> End(Key key, SetEnd end) {
    const auto it = open_.find(key);
    if (it == open_.end()) return std::nullopt;
    const Spot spot = it->second;
    open_.erase(it);
    if (!spot.kept) return spot.at;
    end(rows_[static_cast<std::size_t>(spot.at)].second);
    return std::nullopt;
  }

  // Forgets `key`'s open span, which stays open in the table.
  void Forget(Key key) { open_.erase(key); }

  // Before the commit: writes every kept row through `write(row, alone)`,
  // which appends it (many to a statement) or, for a span still open
  // (alone), writes it on its own and returns its rowid, kept for the end
  // to come. Returns SQLite's error.
  template <class Write>
  std::expected<void, std::string> Flush(Write write) {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      auto& [key, row] = rows_[i];
      const auto it = open_.find(key);
      const bool open =
          it != open_.end() && it->second.kept && it->second.at == static_cast<std::int64_t>(i);
      std::expected<std::int64_t, std::string> rowid = write(row, open);
      if (!rowid) return std::unexpected(rowid.error());
      if (open) it->second = Spot{.kept = false, .at = *rowid};
    }
    rows_.clear();
    return {};
  }

 private:
  struct Spot {
    bool kept = false;  // true: the row is rows_[at]; false: rowid `at` in the file
    std::int64_t at = 0;
  };
  std::vector<std::pair<Key, Row>> rows_;  // begun in the open batch, in order
  std::unordered_map<Key, Spot> open_;     // the open span of each key
};

}  // namespace sentry::inspect
