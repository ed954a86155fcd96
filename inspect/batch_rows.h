// BatchRows: the rows of a table that were inserted during the open batch,
// kept in memory until it commits.
//
// A process's row is inserted when it is created and updated as it execs,
// exits, becomes a zombie, is reparented and reaped: five statements more,
// each a B-tree search, for a short-lived process. Most of those happen
// within the batch (at most 100 ms) that created it, and nobody else reads
// the file's uncommitted rows, so the updates change the kept row and the
// row is written once, many rows to a statement, before the commit. A row
// from an earlier batch is updated in the file as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sentry::inspect {

template <class Row>
class BatchRows {
 public:
  // The row kept for `id`, or nullptr if it was written in an earlier batch.
  Row* Find(std::uint64_t id) {
    const auto it = index_.find(id);
    return it != index_.end() ? &rows_[it->second] : nullptr;
  }
  Row& Add(std::uint64_t id, Row row) {
    index_[id] = rows_.size();
    return rows_.emplace_back(std::move(row));
  }
  // In the order they were added.
  const std::vector<Row>& Rows() const { return rows_; }
  void Clear() {
    rows_.clear();
    index_.clear();
  }

 private:
  std::vector<Row> rows_;
  std::unordered_map<std::uint64_t, std::size_t> index_;  // id -> rows_ index
};

}  // namespace sentry::inspect
