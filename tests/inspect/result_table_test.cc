// Answers print numbers exactly as SQLite (and so the sqlite3 shell) does.
#include "inspect/result_table.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace sentry::inspect {
namespace {

std::string AsSqlite(double value) {
  std::array<char, 64> text{};
  sqlite3_snprintf(static_cast<int>(text.size()), text.data(), "%!.15g", value);
  return text.data();
}

std::string AsAppended(double value) {
  std::string out;
  AppendReal(out, value);
  return out;
}

TEST(ResultTableTest, RealsReadAsSqliteWritesThem) {
  // The edges of the fast path (a time to the microsecond) and beyond it.
  for (const double v :
       {0.0,      1.0,      2.0,     1.5,   -1.5,         0.0001,           0.00009, -0.0001,
        0.000001, 1e-7,     0.1,     0.3,   123.456789,   999999999.999999, 1e9,     1e15,
        1e16,     123456.5, 1.0 / 3, -7.25, 86400.000001, 3.14159265358979}) {
    EXPECT_EQ(AsAppended(v), AsSqlite(v)) << v;
  }
  // Times as the queries make them, round(ns / 1e3) / 1e6, over their
  // whole range: microseconds to days.
  std::mt19937_64 random(42);
  for (int i = 0; i < 200'000; ++i) {
    const int digits = 1 + static_cast<int>(random() % 15);
    std::int64_t micros = static_cast<std::int64_t>(random() % 1'000'000'000'000'000);
    for (int d = digits; d < 15; ++d) micros /= 10;
    if (i % 2 == 1) micros = -micros;
    const double v = static_cast<double>(micros) / 1e6;
    ASSERT_EQ(AsAppended(v), AsSqlite(v)) << micros;
  }
  // Other reals: whatever SQLite does.
  std::uniform_real_distribution<double> any(-1e12, 1e12);
  for (int i = 0; i < 20'000; ++i) {
    const double v = any(random);
    ASSERT_EQ(AsAppended(v), AsSqlite(v)) << v;
  }
}

}  // namespace
}  // namespace sentry::inspect
