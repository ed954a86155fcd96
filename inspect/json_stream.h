// A JSON writer that streams: values go to the output as they are given,
// with nothing kept but a buffer. A trace export holds millions of events;
// built as a document first (nlohmann's tree) it took 8 s and 660 MB for a
// 100,000-process run.
//
// The caller keeps the nesting right (Open/Close pairs, a key before each
// member's value); the writer adds the commas and escapes the strings. Text
// that is not UTF-8 (a process's name is bytes) has each invalid byte
// written as U+FFFD, as nlohmann's "replace" handler does, so the output is
// always valid JSON.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace sentry::inspect {

class JsonStream {
 public:
  explicit JsonStream(std::ostream& out) : out_(out) {}
  JsonStream(const JsonStream&) = delete;
  JsonStream& operator=(const JsonStream&) = delete;
  ~JsonStream() { Flush(); }

  JsonStream& OpenObject() { return Open('{', '}'); }
  JsonStream& OpenArray() { return Open('[', ']'); }
  JsonStream& Close();  // the innermost object or array
  // A member's key; its value comes next.
  JsonStream& Key(std::string_view key);
  JsonStream& Value(std::string_view text);
  JsonStream& Value(const char* text) { return Value(std::string_view(text)); }
  JsonStream& Value(std::int64_t number);
  JsonStream& Value(double number);
  // n / 1000, exactly (a time in nanoseconds written as microseconds).
  JsonStream& Thousandths(std::int64_t n);
  // key, then value.
  template <typename T>
  JsonStream& Member(std::string_view key, const T& value) {
    return Key(key).Value(value);
  }
  // Writes what is buffered to the output.
  void Flush();

 private:
  JsonStream& Open(char opener, char closer);
  void Separate();  // the comma before a value, unless it is the first or follows a key
  void MaybeFlush() {
    if (buffer_.size() >= kFlushAt) Flush();
  }

  static constexpr std::size_t kFlushAt = 1 << 16;
  std::ostream& out_;
  std::string buffer_;
  std::string closers_;     // the bracket closing each open container, innermost last
  bool first_ = true;       // no value yet in the innermost container
  bool after_key_ = false;  // a key was written; its value is next
};

// `text` as a JSON string's contents (without the quotes), appended to `out`.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace sentry::inspect
