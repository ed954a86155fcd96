// RowBuffer: rows bound for one append-only table, written many to an
// INSERT statement.
//
// SQLite's cost for a one-row INSERT is mostly the statement itself (step,
// halt, reset), not the row: 32 rows to a statement write several times
// faster. The rows are filled like a statement's parameters (1-based, in
// the single-row SQL's order), kept, and written when 32 are waiting and
// at Flush (before the transaction commits). Only for tables nobody reads
// or updates within the transaction before the flush.
//
// Kept values are plain numbers and spans of one text buffer, so keeping a
// row allocates nothing, and SQLite binds the text without copying it (it
// is read during the step, while the buffer holds it).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/sqlite.h"

namespace sentry::inspect {

class RowBuffer {
 public:
  static constexpr int kRowsPerStatement = 32;

  // `insert` is the one-row statement: "INSERT INTO t (c1, …, cN) VALUES (…)"
  // with N parameters.
  static std::expected<RowBuffer, std::string> Create(Database& db, std::string_view insert,
                                                      int columns);

  // The next row: set every column with Bind, then Add.
  RowBuffer& Bind(int column, std::int64_t value);
  RowBuffer& Bind(int column, std::optional<std::int64_t> value);
  RowBuffer& Bind(int column, std::string_view text);
  RowBuffer& BindNull(int column);
  // Keeps the row; writes a full statement's worth when there is one.
  std::expected<void, std::string> Add();
  // Writes the row at once, on its own; returns its rowid.
  std::expected<std::int64_t, std::string> AddNow();
  // Writes every row kept.
  std::expected<void, std::string> Flush();

 private:
  struct Value {
    enum class Type : std::uint8_t { kNull, kInt, kText } type = Type::kNull;
    std::int64_t number = 0;  // kInt: the value; kText: the offset in text_
    std::uint32_t size = 0;   // kText: its length
  };
  RowBuffer(int columns, Statement one, Statement many);
  Value& At(int column);
  // Binds `rows` kept rows from `first` to `stmt` and runs it; the bindings
  // point into text_, and every parameter is bound again before each run.
  std::expected<void, std::string> Write(Statement& stmt, std::size_t first, std::size_t rows);

  int columns_ = 0;
  Statement one_;
  Statement many_;
  std::vector<Value> values_;  // kept rows, row after row, then the row being filled
  std::string text_;           // every kept text, back to back
};

}  // namespace sentry::inspect
