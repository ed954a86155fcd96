#include "inspect/json_stream.h"

#include <fmt/format.h>

#include <cmath>

namespace sentry::inspect {

namespace {

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t Utf8Length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;
    if (lead == 0xED && byte(1) > 0x9F) return 0;
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    // No overlong forms (F0 80..8F) and nothing past U+10FFFF (F4 90..).
    if (lead == 0xF0 && byte(1) < 0x90) return 0;
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view text) {
  const auto plain = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  };
  for (std::size_t i = 0; i < text.size();) {
    // The run of characters written as they are, in one append.
    std::size_t run = i;
    while (run < text.size() && plain(text[run])) ++run;
    out.append(text.substr(i, run - i));
    if (run == text.size()) return;
    i = run;
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t n = Utf8Length(text.substr(i));
      if (n == 0) {
        out += "\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
    }
    ++i;
  }
}

void JsonStream::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_) buffer_ += ',';
  first_ = false;
}

JsonStream& JsonStream::Open(char opener, char closer) {
  Separate();
  buffer_ += opener;
  closers_ += closer;
  first_ = true;
  return *this;
}

JsonStream& JsonStream::Close() {
  buffer_ += closers_.back();
  closers_.pop_back();
  first_ = false;
  MaybeFlush();
  return *this;
}

JsonStream& JsonStream::Key(std::string_view key) {
  Separate();
  buffer_ += '"';
  AppendJsonEscaped(buffer_, key);
  buffer_ += "\":";
  after_key_ = true;
  return *this;
}

JsonStream& JsonStream::Value(std::string_view text) {
  Separate();
  buffer_ += '"';
  AppendJsonEscaped(buffer_, text);
  buffer_ += '"';
  return *this;
}

JsonStream& JsonStream::Value(std::int64_t number) {
  Separate();
  const fmt::format_int digits(number);
  buffer_.append(digits.data(), digits.size());
  return *this;
}

JsonStream& JsonStream::Thousandths(std::int64_t n) {
  Separate();
  if (n < 0) buffer_ += '-';
  const auto bits = static_cast<std::uint64_t>(n);
  const std::uint64_t magnitude = n < 0 ? 0 - bits : bits;
  const fmt::format_int whole(magnitude / 1000);
  buffer_.append(whole.data(), whole.size());
  if (const std::uint64_t fraction = magnitude % 1000; fraction != 0) {
    char digits[] = {'.', static_cast<char>('0' + fraction / 100),
                     static_cast<char>('0' + fraction / 10 % 10),
                     static_cast<char>('0' + fraction % 10)};
    std::size_t length = sizeof digits;
    while (digits[length - 1] == '0') --length;  // 1.5, not 1.500
    buffer_.append(digits, length);
  }
  return *this;
}

JsonStream& JsonStream::Value(double number) {
  Separate();
  // JSON has no NaN or infinity.
  if (std::isfinite(number)) {
    fmt::format_to(std::back_inserter(buffer_), "{}", number);
  } else {
    buffer_ += "null";
  }
  return *this;
}

void JsonStream::Flush() {
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

}  // namespace sentry::inspect
