#include "inspect/run_registry.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sentry/kernel/json_text.h"

namespace sentry::inspect {

namespace {

std::int64_t WallNow() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string BootId() {
  return FirstLine("/proc/sys/kernel/random/boot_id");
}

// Field 22 of /proc/PID/stat (starttime, clock ticks since boot); -1 if the
// process is gone. The fields after comm start past its last ')'.
std::int64_t StartTicks(std::int64_t pid) {
  // read(2), not std::filebuf: a process reaped between the open and the
  // read fails it with ESRCH, which filebuf throws.
  std::string stat;
  if (const int fd = ::open(fmt::format("/proc/{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC);
      fd >= 0) {
    std::array<char, 1024> buf{};
    ssize_t n = 0;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) stat.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
  }
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::stoll(field);
  }
  return -1;
}

std::string Hostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "";
  return name.data();
}

}  // namespace

std::int64_t MonotonicNow() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::expected<int, std::string> MarkInterruptedRuns(Database& db) {
  auto running = db.Prepare(
      "SELECT run_id, sentry_pid, sentry_start, boot_id FROM run WHERE state = 'running'");
  if (!running) return std::unexpected(running.error());
  const std::string boot = BootId();
  std::vector<std::int64_t> gone;
  for (;;) {
    auto row = running->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const bool alive = running->Text(3) == boot && StartTicks(running->Int(1)) == running->Int(2);
    if (!alive) gone.push_back(running->Int(0));
  }
  running->Reset();
  // Its end is its last observation, the last moment anything was saved.
  auto mark = db.Prepare(
      "UPDATE run SET state = 'interrupted', end_ts = start_ts + coalesce("
      "(SELECT max(time_ns) FROM observation o WHERE o.run_id = run.run_id) - start_time_ns, 0) "
      "WHERE run_id = ?");
  if (!mark) return std::unexpected(mark.error());
  for (const std::int64_t id : gone) {
    if (auto done = mark->Bind(1, id).Run(); !done) return std::unexpected(done.error());
  }
  return static_cast<int>(gone.size());
}

std::expected<std::int64_t, std::string> BeginRun(Database& db, const RunStart& start) {
  std::string command;
  for (const auto& arg : start.argv) {
    if (!command.empty()) command += ' ';
    command += arg;
  }
  auto insert = db.Prepare(
      "INSERT INTO run (command, argv, cwd, start_ts, start_time_ns, state, sentry_version, "
      "sentry_pid, sentry_start, boot_id, hostname, pidns, platform) "
      "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  const std::int64_t pid = ::getpid();
  insert->Bind(1, command)
      .Bind(2, kernel::JsonText(nlohmann::json(start.argv)))
      .Bind(3, start.cwd)
      .Bind(4, WallNow())
      .Bind(5, start.start_time_ns)
      .Bind(6, SENTRY_VERSION)
      .Bind(7, pid)
      .Bind(8, StartTicks(pid))
      .Bind(9, BootId())
      .Bind(10, Hostname())
      .Bind(11, std::int64_t{start.pidns ? 1 : 0})
      .Bind(12, start.platform);
  if (auto done = insert->Run(); !done) return std::unexpected(done.error());
  return db.LastInsertRowid();
}

std::expected<void, std::string> FinishRun(Database& db, std::int64_t run_id, int exit_code) {
  auto update =
      db.Prepare("UPDATE run SET state = 'finished', end_ts = ?, exit_code = ? WHERE run_id = ?");
  if (!update) return std::unexpected(update.error());
  return update->Bind(1, WallNow()).Bind(2, std::int64_t{exit_code}).Bind(3, run_id).Run();
}

}  // namespace sentry::inspect
