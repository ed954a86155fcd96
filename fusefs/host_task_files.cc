#include "fusefs/host_task_files.h"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace sentry::fusefs {
namespace {

constexpr std::array<const char*, 22> kNetFiles = {
    "tcp",      "tcp6",    "udp",        "udp6", "udplite", "udplite6", "raw",       "raw6",
    "unix",     "netlink", "packet",     "icmp", "icmp6",   "sockstat", "sockstat6", "dev",
    "if_inet6", "route",   "ipv6_route", "snmp", "netstat", "protocols"};

}  // namespace

bool NeedsPtraceRead(TaskFile file) {
  switch (file) {
    case TaskFile::kEnviron:
    case TaskFile::kMaps:
    case TaskFile::kSmaps:
    case TaskFile::kSmapsRollup:
    case TaskFile::kIo:
      return true;
    default:
      return false;
  }
}

const char* HostTopPath(Top file) {
  switch (file) {
    case Top::kStat:
      return "/proc/stat";
    case Top::kUptime:
      return "/proc/uptime";
    case Top::kLoadavg:
      return "/proc/loadavg";
    case Top::kMeminfo:
      return "/proc/meminfo";
    case Top::kCpuinfo:
      return "/proc/cpuinfo";
    case Top::kVersion:
      return "/proc/version";
    case Top::kPidMax:
      return "/proc/sys/kernel/pid_max";
    case Top::kOsRelease:
      return "/proc/sys/kernel/osrelease";
    case Top::kTtyDrivers:
      return "/proc/tty/drivers";
    case Top::kVmstat:
      return "/proc/vmstat";
    case Top::kDiskstats:
      return "/proc/diskstats";
    case Top::kPartitions:
      return "/proc/partitions";
    case Top::kSwaps:
      return "/proc/swaps";
    case Top::kFilesystems:
      return "/proc/filesystems";
    case Top::kLocks:
      return "/proc/locks";
    case Top::kZoneinfo:
      return "/proc/zoneinfo";
    case Top::kBuddyinfo:
      return "/proc/buddyinfo";
    case Top::kInterrupts:
      return "/proc/interrupts";
    case Top::kSoftirqs:
      return "/proc/softirqs";
    case Top::kDevices:
      return "/proc/devices";
    case Top::kMisc:
      return "/proc/misc";
    case Top::kModules:
      return "/proc/modules";
    default:
      return nullptr;
  }
}

std::span<const char* const> NetFileNames() {
  return kNetFiles;
}

std::optional<std::vector<int>> HostFds(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::vector<int> fds;
  while (const dirent* e = ::readdir(d)) {
    int fd = -1;
    const char* end = e->d_name + std::strlen(e->d_name);
    if (const auto [at, ec] = std::from_chars(e->d_name, end, fd); ec == std::errc() && at == end) {
      fds.push_back(fd);
    }
  }
  ::closedir(d);
  std::sort(fds.begin(), fds.end());
  return fds;
}

}  // namespace sentry::fusefs
