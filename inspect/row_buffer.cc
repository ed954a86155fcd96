#include "inspect/row_buffer.h"

#include <utility>

namespace sentry::inspect {

RowBuffer::RowBuffer(int columns, Statement one, Statement many)
    : columns_(columns),
      one_(std::move(one)),
      many_(std::move(many)),
      row_(static_cast<std::size_t>(columns)) {
  values_.reserve(static_cast<std::size_t>(columns) * kRowsPerStatement);
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

RowBuffer& RowBuffer::Bind(int column, std::int64_t value) {
  Value& v = row_.at(static_cast<std::size_t>(column - 1));
  v.type = Value::Type::kInt;
  v.number = value;
  return *this;
}

RowBuffer& RowBuffer::Bind(int column, std::optional<std::int64_t> value) {
  if (value) return Bind(column, *value);
  return BindNull(column);
}

RowBuffer& RowBuffer::Bind(int column, std::string_view text) {
  Value& v = row_.at(static_cast<std::size_t>(column - 1));
  v.type = Value::Type::kText;
  v.text.assign(text);
  return *this;
}

RowBuffer& RowBuffer::BindNull(int column) {
  row_.at(static_cast<std::size_t>(column - 1)).type = Value::Type::kNull;
  return *this;
}

std::expected<void, std::string> RowBuffer::Add() {
  for (Value& v : row_) {
    values_.push_back(std::move(v));
    v = Value{};
  }
  const auto full = static_cast<std::size_t>(columns_) * kRowsPerStatement;
  if (values_.size() < full) return {};
  auto done = Write(many_, 0, kRowsPerStatement);
  values_.clear();
  return done;
}

std::expected<void, std::string> RowBuffer::Flush() {
  const std::size_t rows = values_.size() / static_cast<std::size_t>(columns_);
  std::expected<void, std::string> done;
  for (std::size_t r = 0; done && r < rows; ++r) done = Write(one_, r, 1);
  values_.clear();
  return done;
}

std::expected<void, std::string> RowBuffer::Write(Statement& stmt, std::size_t first,
                                                  std::size_t rows) {
  const auto columns = static_cast<std::size_t>(columns_);
  for (std::size_t i = 0; i < rows * columns; ++i) {
    const Value& v = values_[first * columns + i];
    const int param = static_cast<int>(i + 1);
    switch (v.type) {
      case Value::Type::kNull:
        stmt.BindNull(param);
        break;
      case Value::Type::kInt:
        stmt.Bind(param, v.number);
        break;
      case Value::Type::kText:
        stmt.Bind(param, std::string_view(v.text));
        break;
    }
  }
  return stmt.Run();
}

}  // namespace sentry::inspect
