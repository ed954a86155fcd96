#include "inspect/result_table.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "inspect/json_stream.h"

namespace sentry::inspect {

namespace {

// Appends `text` to `line` as one CSV field (RFC 4180 quoting).
void AppendCsvField(std::string& line, std::string_view text) {
  // Four finds, not find_first_of: that calls memchr on the four
  // characters for every character of the text.
  const bool plain =
      text.find(',') == std::string_view::npos && text.find('"') == std::string_view::npos &&
      text.find('\n') == std::string_view::npos && text.find('\r') == std::string_view::npos;
  if (plain) {
    line += text;
    return;
  }
  line += '"';
  for (const char c : text) {
    if (c == '"') line += '"';
    line += c;
  }
  line += '"';
}

// A terminal table keeps one row per line: control characters in a cell
// (a multi-line `sh -c` script) are shown escaped.
std::string OneLine(const std::string& text) {
  if (std::none_of(text.begin(), text.end(), [](char c) { return c >= 0 && c < ' '; })) return text;
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0 && c < ' ') {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out;
}

void PrintTable(std::ostream& out, const ResultTable& t) {
  std::vector<std::size_t> width(t.columns.size());
  std::vector<bool> numeric(t.columns.size(), true);
  for (std::size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(t.rows.size());
  for (const auto& row : t.rows) {
    std::vector<std::string>& line = cells.emplace_back();
    for (std::size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      line.push_back(cell.text ? OneLine(*cell.text) : std::string());
      width[c] = std::max(width[c], line.back().size());
      if (cell.text && !cell.number) numeric[c] = false;
    }
  }
  auto line = [&](auto cell_text) {
    std::string text;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const std::string cell = cell_text(c);
      const bool last = c + 1 == t.columns.size();
      if (numeric[c]) {
        text += fmt::format("{:>{}}", cell, width[c]);
      } else {
        text += last ? cell : fmt::format("{:<{}}", cell, width[c]);
      }
      if (!last) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << '\n';
  };
  line([&](std::size_t c) { return t.columns[c]; });
  for (const auto& row : cells) {
    line([&](std::size_t c) { return row[c]; });
  }
}

// JSON (an array of objects, one a line) or CSV, a row at a time.
class RowStream {
 public:
  RowStream(std::ostream& out, OutputFormat format, std::span<const std::string> columns)
      : out_(out), format_(format) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (format_ == OutputFormat::kJson) {
        std::string& key = keys_.emplace_back(c == 0 ? "{\"" : ", \"");
        AppendJsonEscaped(key, columns[c]);
        key += "\": ";
      } else {
        if (c > 0) line_ += ',';
        AppendCsvField(line_, columns[c]);
      }
    }
    if (format_ == OutputFormat::kCsv) line_ += "\r\n";
    if (format_ == OutputFormat::kJson) line_ += '[';
  }

  // One row: append_value(line, c, format) appends column c's value.
  template <typename AppendValue>
  void Row(std::size_t columns, const AppendValue& append_value) {
    if (format_ == OutputFormat::kJson) {
      line_ += first_ ? "\n  " : ",\n  ";
      for (std::size_t c = 0; c < columns; ++c) {
        line_ += keys_[c];
        append_value(line_, c, format_);
      }
      line_ += '}';
    } else {
      for (std::size_t c = 0; c < columns; ++c) {
        if (c > 0) line_ += ',';
        append_value(line_, c, format_);
      }
      line_ += "\r\n";
    }
    first_ = false;
    if (line_.size() >= kFlushAt) Flush();
  }

  void End() {
    if (format_ == OutputFormat::kJson) line_ += first_ ? "]\n" : "\n]\n";
    Flush();
  }

 private:
  void Flush() {
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
    line_.clear();
  }

  static constexpr std::size_t kFlushAt = 1 << 16;
  std::ostream& out_;
  OutputFormat format_;
  std::vector<std::string> keys_;  // JSON: `{"name": ` or `, "name": ` each
  std::string line_;               // what is not written yet
  bool first_ = true;
};

// A computed cell's value as JSON or CSV text.
void AppendCell(std::string& line, const Cell& cell, OutputFormat format) {
  if (!cell.text) {
    if (format == OutputFormat::kJson) line += "null";
  } else if (cell.number) {
    line += *cell.text;
  } else if (format == OutputFormat::kJson) {
    line += '"';
    AppendJsonEscaped(line, *cell.text);
    line += '"';
  } else {
    AppendCsvField(line, *cell.text);
  }
}

void PrintRows(std::ostream& out, const ResultTable& t, OutputFormat format) {
  RowStream rows(out, format, t.columns);
  for (const auto& row : t.rows) {
    rows.Row(row.size(), [&](std::string& line, std::size_t c, OutputFormat f) {
      AppendCell(line, row[c], f);
    });
  }
  rows.End();
}

}  // namespace

void AppendReal(std::string& out, double value) {
  // The usual REAL here is a time in seconds to the microsecond: k / 1e6
  // for an integer k. Printed with 15 significant digits, that is k's
  // digits with the point six from the right, trailing zeros dropped, as
  // long as %g keeps the fixed form (1e-4 <= |value|) and 15 digits reach
  // the sixth decimal (|value| < 1e9).
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e-4 && magnitude < 1e9) {
    const auto micros = static_cast<std::int64_t>(std::llround(value * 1e6));
    if (static_cast<double>(micros) / 1e6 == value) {
      const std::uint64_t abs =
          micros < 0 ? static_cast<std::uint64_t>(-micros) : static_cast<std::uint64_t>(micros);
      if (micros < 0) out += '-';
      fmt::format_to(std::back_inserter(out), "{}.", abs / 1'000'000);
      std::uint64_t fraction = abs % 1'000'000;
      int digits = 6;
      while (digits > 1 && fraction % 10 == 0) {
        fraction /= 10;
        --digits;
      }
      fmt::format_to(std::back_inserter(out), "{:0{}}", fraction, digits);
      return;
    }
  }
  // Anything else as SQLite itself renders a REAL (vdbemem.c: "%!.15g").
  std::array<char, 32> text{};
  sqlite3_snprintf(static_cast<int>(text.size()), text.data(), "%!.15g", value);
  out += text.data();
}

namespace {

// A numeric column's value as SQLite would show it, appended to `line`.
// Formatted here: SQLite's own text for a number costs a printf and an
// allocation per cell.
void AppendNumber(std::string& line, const Statement& stmt, int c) {
  if (stmt.Type(c) == SQLITE_INTEGER) {
    fmt::format_to(std::back_inserter(line), "{}", stmt.Int(c));
    return;
  }
  AppendReal(line, stmt.Real(c));
}

// One column's value as CSV or JSON text, straight from the statement.
void AppendValue(std::string& line, const Statement& stmt, int c, OutputFormat format) {
  switch (stmt.Type(c)) {
    case SQLITE_NULL:
      if (format == OutputFormat::kJson) line += "null";
      return;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      AppendNumber(line, stmt, c);
      return;
    default:
      if (format == OutputFormat::kJson) {
        line += '"';
        AppendJsonEscaped(line, stmt.Text(c));
        line += '"';
      } else {
        AppendCsvField(line, stmt.Text(c));
      }
  }
}

std::expected<void, std::string> StreamRows(Statement& stmt, std::ostream& out,
                                            OutputFormat format) {
  const int n = stmt.Columns();
  std::vector<std::string> columns;
  columns.reserve(static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c) columns.emplace_back(stmt.ColumnName(c));
  RowStream rows(out, format, columns);
  for (;;) {
    auto row = stmt.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    rows.Row(columns.size(), [&](std::string& line, std::size_t c, OutputFormat f) {
      AppendValue(line, stmt, static_cast<int>(c), f);
    });
  }
  rows.End();
  stmt.Reset();
  return {};
}

}  // namespace

std::expected<void, std::string> Answer::Print(std::ostream& out, OutputFormat format) {
  if (rows_ && format != OutputFormat::kTable) return StreamRows(*rows_, out, format);
  if (make_ && format != OutputFormat::kTable) {
    RowStream rows(out, format, table_.columns);
    auto made = make_([&](std::vector<Cell>&& row) {
      rows.Row(row.size(), [&](std::string& line, std::size_t c, OutputFormat f) {
        AppendCell(line, row[c], f);
      });
    });
    rows.End();
    return made;
  }
  if (make_) {
    auto made = make_([&](std::vector<Cell>&& row) { table_.rows.push_back(std::move(row)); });
    if (!made) return made;
  }
  if (rows_) {
    auto table = ResultTable::FromStatement(*rows_);
    if (!table) return std::unexpected(table.error());
    table_ = std::move(*table);
  }
  table_.Print(out, format);
  return {};
}

Cell SecondsCell(std::int64_t ns) {
  // fmt's "{:.6f}" of ns / 1e9, without the double or a format string:
  // rounded to the microsecond, half away from zero.
  const bool negative = ns < 0;
  const auto bits = static_cast<std::uint64_t>(ns);
  const std::uint64_t micros = ((negative ? 0 - bits : bits) + 500) / 1000;
  std::string text = negative && micros != 0 ? "-" : "";
  text += std::to_string(micros / 1'000'000);
  const std::string fraction = std::to_string(micros % 1'000'000);
  text += '.';
  text.append(6 - fraction.size(), '0');
  text += fraction;
  return Cell{.text = std::move(text), .number = true};
}

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return std::nullopt;
}

std::expected<ResultTable, std::string> ResultTable::FromStatement(Statement& stmt) {
  ResultTable t;
  const int n = stmt.Columns();
  for (int c = 0; c < n; ++c) t.columns.emplace_back(stmt.ColumnName(c));
  for (;;) {
    auto row = stmt.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    std::vector<Cell> cells(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
      Cell& cell = cells[static_cast<std::size_t>(c)];
      switch (stmt.Type(c)) {
        case SQLITE_NULL:
          break;
        case SQLITE_INTEGER:
        case SQLITE_FLOAT:
          cell.text.emplace();
          AppendNumber(*cell.text, stmt, c);
          cell.number = true;
          break;
        default:
          cell.text = std::string(stmt.Text(c));
      }
    }
    t.rows.push_back(std::move(cells));
  }
  stmt.Reset();
  return t;
}

void ResultTable::Print(std::ostream& out, OutputFormat format) const {
  switch (format) {
    case OutputFormat::kTable:
      PrintTable(out, *this);
      return;
    case OutputFormat::kJson:
    case OutputFormat::kCsv:
      PrintRows(out, *this, format);
      return;
  }
}

}  // namespace sentry::inspect
