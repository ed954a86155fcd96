#include "inspect/result_table.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string_view>

namespace sentry::inspect {

namespace {

// Appends `text` to `line` as one CSV field (RFC 4180 quoting).
void AppendCsvField(std::string& line, std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
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

void PrintJson(std::ostream& out, const ResultTable& t) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : t.rows) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const Cell& cell = row[c];
      if (!cell.text) {
        obj[t.columns[c]] = nullptr;
      } else if (cell.number) {
        obj[t.columns[c]] = nlohmann::ordered_json::parse(*cell.text);
      } else {
        obj[t.columns[c]] = *cell.text;
      }
    }
    rows.push_back(std::move(obj));
  }
  out << rows.dump(2) << '\n';
}

void PrintCsv(std::ostream& out, const ResultTable& t) {
  std::string text;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (c > 0) text += ',';
    AppendCsvField(text, t.columns[c]);
  }
  out << text << "\r\n";
  for (const auto& row : t.rows) {
    text.clear();
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) text += ',';
      const Cell& cell = row[c];
      if (cell.text) AppendCsvField(text, *cell.text);
    }
    out << text << "\r\n";
  }
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
        line += nlohmann::json(std::string(stmt.Text(c))).dump();
      } else {
        AppendCsvField(line, stmt.Text(c));
      }
  }
}

std::expected<void, std::string> StreamRows(Statement& stmt, std::ostream& out,
                                            OutputFormat format) {
  const int n = stmt.Columns();
  std::vector<std::string> keys;  // JSON: "name": prefixes
  std::string line;
  for (int c = 0; c < n; ++c) {
    const std::string name(stmt.ColumnName(c));
    if (format == OutputFormat::kJson) {
      keys.push_back(nlohmann::json(name).dump() + ": ");
    } else {
      if (c > 0) line += ',';
      AppendCsvField(line, name);
    }
  }
  if (format == OutputFormat::kCsv) out << line << "\r\n";
  if (format == OutputFormat::kJson) out << '[';
  bool first = true;
  for (;;) {
    auto row = stmt.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    line.clear();
    if (format == OutputFormat::kJson) {
      line += first ? "\n  {" : ",\n  {";
      for (int c = 0; c < n; ++c) {
        if (c > 0) line += ", ";
        line += keys[static_cast<std::size_t>(c)];
        AppendValue(line, stmt, c, format);
      }
      line += '}';
    } else {
      for (int c = 0; c < n; ++c) {
        if (c > 0) line += ',';
        AppendValue(line, stmt, c, format);
      }
      line += "\r\n";
    }
    out << line;
    first = false;
  }
  if (format == OutputFormat::kJson) out << (first ? "]\n" : "\n]\n");
  stmt.Reset();
  return {};
}

}  // namespace

std::expected<void, std::string> Answer::Print(std::ostream& out, OutputFormat format) {
  if (rows_ && format != OutputFormat::kTable) return StreamRows(*rows_, out, format);
  if (rows_) {
    auto table = ResultTable::FromStatement(*rows_);
    if (!table) return std::unexpected(table.error());
    table_ = std::move(*table);
  }
  table_.Print(out, format);
  return {};
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
      PrintJson(out, *this);
      return;
    case OutputFormat::kCsv:
      PrintCsv(out, *this);
      return;
  }
}

}  // namespace sentry::inspect
