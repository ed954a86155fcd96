// ResultTable: rows of named columns, printed as an aligned table for a
// terminal, as JSON (an array of objects) or as CSV (RFC 4180) for scripts.
// Every `sentry inspect` answer goes through it.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/sqlite.h"

namespace sentry::inspect {

enum class OutputFormat : std::uint8_t { kTable, kJson, kCsv };
std::optional<OutputFormat> ParseOutputFormat(std::string_view name);

// Appends the text SQLite gives a REAL (CAST(value AS TEXT), sqlite3's
// output): the same characters, without SQLite's printf for the common
// case of a time to the microsecond.
void AppendReal(std::string& out, double value);

struct Cell {
  std::optional<std::string> text;  // nullopt: NULL
  bool number = false;              // printed bare in JSON, right-aligned in tables
};

// A time in nanoseconds as seconds to the microsecond ("1.250000").
Cell SecondsCell(std::int64_t ns);

struct ResultTable {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  // Runs `stmt` (bound already) to the end and takes every row.
  static std::expected<ResultTable, std::string> FromStatement(Statement& stmt);
  void Print(std::ostream& out, OutputFormat format) const;
};

// Where a made row goes: the output (JSON, CSV) or a table being filled.
using RowSink = std::function<void(std::vector<Cell>&& row)>;
// Makes an answer's rows, handing each to the sink as soon as it is made.
using RowMaker = std::function<std::expected<void, std::string>(const RowSink& sink)>;

// An answer: rows computed here, or rows a statement or a RowMaker gives,
// which JSON and CSV stream straight to the output (a million-row answer
// is never held in memory; an aligned table needs every row first to know
// its widths).
class Answer {
 public:
  Answer(ResultTable table) : table_(std::move(table)) {}  // NOLINT(google-explicit-constructor)
  Answer(Statement rows) : rows_(std::move(rows)) {}       // NOLINT(google-explicit-constructor)
  Answer(std::vector<std::string> columns, RowMaker make)
      : table_{.columns = std::move(columns), .rows = {}}, make_(std::move(make)) {}
  std::expected<void, std::string> Print(std::ostream& out, OutputFormat format);

 private:
  ResultTable table_;
  std::optional<Statement> rows_;
  RowMaker make_;
};

}  // namespace sentry::inspect
