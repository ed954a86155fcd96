// An output file written under a temporary name beside its path and renamed
// over it by Commit(): a failure half way (an error, a full disk, an
// interrupt) leaves the file as it was. Without Commit() the temporary is
// removed. A path that is not a regular file (a symbolic link such as
// /dev/stdout, a FIFO, a device) is written in place: renaming over it
// would replace the link, pipe or device node.
#pragma once

#include <expected>
#include <fstream>
#include <memory>
#include <string>

namespace sentry::cmd {

class ReplacingFile {
 public:
  static std::expected<ReplacingFile, std::string> Create(const std::string& path);
  ReplacingFile(ReplacingFile&& other) noexcept;
  ReplacingFile& operator=(ReplacingFile&&) = delete;
  ReplacingFile(const ReplacingFile&) = delete;
  ReplacingFile& operator=(const ReplacingFile&) = delete;
  ~ReplacingFile();

  std::ostream& Stream() { return *stream_; }
  // Flushes and puts the file in place; an error names what failed.
  std::expected<void, std::string> Commit();

 private:
  ReplacingFile(std::string path, std::string temp, std::unique_ptr<std::ofstream> stream)
      : path_(std::move(path)), temp_(std::move(temp)), stream_(std::move(stream)) {}

  std::string path_;
  std::string temp_;  // empty: written in place
  std::unique_ptr<std::ofstream> stream_;
  bool done_ = false;  // committed, or moved from
};

}  // namespace sentry::cmd
