#include "sentry/cmd/replacing_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sentry::cmd {

namespace {

std::string Why(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

std::expected<ReplacingFile, std::string> ReplacingFile::Create(const std::string& path) {
  // lstat: a symbolic link is written through, never replaced (/dev/stdout
  // is one, to a regular file when the output is redirected to one).
  struct stat existing {};
  const bool exists = ::lstat(path.c_str(), &existing) == 0;
  if (exists && !S_ISREG(existing.st_mode)) {
    auto stream = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
    if (!*stream) return std::unexpected(Why("cannot write", path));
    return ReplacingFile(path, "", std::move(stream));
  }
  std::string name = path + ".XXXXXX";
  std::vector<char> buffer(name.begin(), name.end());
  buffer.push_back('\0');
  const int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd < 0) return std::unexpected(Why("cannot write", path));
  std::string temp(buffer.data());
  // The mode a new file would have had (mkostemp's is 0600), or the old one's.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, exists ? existing.st_mode & 07777 : 0666 & ~mask);
  ::close(fd);
  auto stream = std::make_unique<std::ofstream>(temp, std::ios::binary | std::ios::trunc);
  if (!*stream) {
    const std::string error = Why("cannot write", temp);
    ::unlink(temp.c_str());
    return std::unexpected(error);
  }
  return ReplacingFile(path, std::move(temp), std::move(stream));
}

ReplacingFile::ReplacingFile(ReplacingFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      stream_(std::move(other.stream_)),
      done_(other.done_) {
  other.done_ = true;
}

ReplacingFile::~ReplacingFile() {
  if (done_) return;
  stream_->close();
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

std::expected<void, std::string> ReplacingFile::Commit() {
  done_ = true;
  errno = 0;
  stream_->close();
  if (!*stream_) {
    // A stream's failure need not set errno.
    const std::string error = errno != 0 ? Why("cannot write", path_) : "cannot write " + path_;
    if (!temp_.empty()) ::unlink(temp_.c_str());
    return std::unexpected(error);
  }
  if (!temp_.empty() && ::rename(temp_.c_str(), path_.c_str()) != 0) {
    const std::string error = Why("cannot replace", path_);
    ::unlink(temp_.c_str());
    return std::unexpected(error);
  }
  return {};
}

}  // namespace sentry::cmd
