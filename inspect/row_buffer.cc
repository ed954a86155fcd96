#include "inspect/row_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <utility>

namespace sentry::inspect {

RowBuffer::RowBuffer(int columns, Statement one, Statement many)
    : columns_(columns), one_(std::move(one)), many_(std::move(many)) {
  values_.reserve(static_cast<std::size_t>(columns) * (kRowsPerStatement + 1));
  values_.resize(static_cast<std::size_t>(columns));
}

std::expected<RowBuffer, std::string> RowBuffer::Create(Database& db, std::string_view insert,
                                                        int columns) {
  const auto values = insert.find("VALUES");
  if (values == std::string_view::npos || columns <= 0) {
    return std::unexpected("not a one-row INSERT: " + std::string(insert));
  }
  std::string placeholders = "(";
  for (int c = 0; c < columns; ++c) placeholders += c == 0 ? "?" : ", ?";
  placeholders += ")";
  std::string many(insert.substr(0, values));
  many += "VALUES ";
  for (int r = 0; r < kRowsPerStatement; ++r) {
    if (r > 0) many += ", ";
    many += placeholders;
  }
  auto one_stmt = db.Prepare(insert);
  if (!one_stmt) return std::unexpected(one_stmt.error());
  auto many_stmt = db.Prepare(many);
  if (!many_stmt) return std::unexpected(many_stmt.error());
  return RowBuffer(columns, std::move(*one_stmt), std::move(*many_stmt));
}

RowBuffer::Value& RowBuffer::At(int column) {
  if (column < 1 || column > columns_) std::abort();  // a caller's bug, not the file's
  return values_[values_.size() - static_cast<std::size_t>(columns_) +
                 static_cast<std::size_t>(column - 1)];
}

RowBuffer& RowBuffer::Bind(int column, std::int64_t value) {
  At(column) = Value{.type = Value::Type::kInt, .number = value, .size = 0};
  return *this;
}

RowBuffer& RowBuffer::Bind(int column, std::optional<std::int64_t> value) {
  if (value) return Bind(column, *value);
  return BindNull(column);
}

RowBuffer& RowBuffer::Bind(int column, std::string_view text) {
  const std::size_t size = text.size() > INT_MAX ? INT_MAX : text.size();
  At(column) = Value{.type = Value::Type::kText,
                     .number = static_cast<std::int64_t>(text_.size()),
                     .size = static_cast<std::uint32_t>(size)};
  text_.append(text.substr(0, size));
  return *this;
}

RowBuffer& RowBuffer::BindNull(int column) {
  At(column) = Value{};
  return *this;
}

std::expected<void, std::string> RowBuffer::Add() {
  const auto columns = static_cast<std::size_t>(columns_);
  const std::size_t kept = values_.size() / columns;  // the row just filled among them
  if (kept < kRowsPerStatement) {
    values_.resize(values_.size() + columns);  // a fresh row to fill
    return {};
  }
  auto done = Write(many_, 0, kRowsPerStatement);
  values_.assign(columns, Value{});
  text_.clear();
  return done;
}

std::expected<std::int64_t, std::string> RowBuffer::AddNow() {
  const std::size_t filling = values_.size() / static_cast<std::size_t>(columns_) - 1;
  auto done = Write(one_, filling, 1);
  // The same place, emptied, is the next row to fill.
  std::fill(values_.end() - columns_, values_.end(), Value{});
  if (!done) return std::unexpected(done.error());
  return sqlite3_last_insert_rowid(sqlite3_db_handle(one_.Get()));
}

std::expected<void, std::string> RowBuffer::Flush() {
  const std::size_t rows = values_.size() / static_cast<std::size_t>(columns_) - 1;
  std::expected<void, std::string> done;
  for (std::size_t r = 0; done && r < rows; ++r) done = Write(one_, r, 1);
  values_.assign(static_cast<std::size_t>(columns_), Value{});
  text_.clear();
  // No binding may outlive the text it points into.
  sqlite3_clear_bindings(one_.Get());
  sqlite3_clear_bindings(many_.Get());
  return done;
}

std::expected<void, std::string> RowBuffer::Write(Statement& stmt, std::size_t first,
                                                  std::size_t rows) {
  const auto columns = static_cast<std::size_t>(columns_);
  sqlite3_stmt* s = stmt.Get();
  for (std::size_t i = 0; i < rows * columns; ++i) {
    const Value& v = values_[first * columns + i];
    const int param = static_cast<int>(i + 1);
    switch (v.type) {
      case Value::Type::kNull:
        sqlite3_bind_null(s, param);
        break;
      case Value::Type::kInt:
        sqlite3_bind_int64(s, param, v.number);
        break;
      case Value::Type::kText:
        sqlite3_bind_text(s, param, text_.data() + v.number, static_cast<int>(v.size),
                          SQLITE_STATIC);
        break;
    }
  }
  auto stepped = stmt.Step();
  sqlite3_reset(s);
  if (!stepped) return std::unexpected(stepped.error());
  return {};
}

}  // namespace sentry::inspect
