// bench_fuse: what the procfs view costs. Prints "name: value" lines.
//
//   bench_fuse SENTRY FLOOR_FUSE WORKLOADS N ROUNDS
//
// With N live sandbox processes, in interleaved rounds (medians of per-round
// ratios):
//   - a full scan (readdir, then open+read+close of stat, status and cmdline
//     of every pid) of the view, of the host's /proc for the same tasks, and
//     of floor_fuse (the same tree and sizes, constant content), with 1 and
//     with 4 concurrent readers;
//   - `ps -e` through `sentry view` against `ps -e` on the host;
//   - `workloads forkexec` under `sentry run` while 4 readers scan its view
//     in a loop, against the same run without readers.
//   bench_fuse hold N    (internal) the workload: N children that wait for stdin to close
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int Hold(int n) {
  std::vector<pid_t> kids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      char c;
      while (read(0, &c, 1) > 0) {
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  return 0;
}

// A child with stdin and stdout pipes; returns its pid.
struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin
  int out = -1;  // its stdout
};

Child Start(const std::vector<std::string>& argv) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) std::abort();
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    setsid();
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(126);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  c.in = in[1];
  c.out = out[0];
  return c;
}

void AwaitLine(const Child& c) {
  char ch;
  while (read(c.out, &ch, 1) == 1 && ch != '\n') {
  }
}

void Stop(Child& c) {
  close(c.in);
  close(c.out);
  waitpid(c.pid, nullptr, 0);
}

std::vector<std::string> Pids(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') out.emplace_back(e->d_name);
  }
  closedir(d);
  return out;
}

// One full scan: readdir, then stat/status/cmdline of `only` (or every pid).
void Scan(const std::string& dir, const std::vector<std::string>* only) {
  const std::vector<std::string> listed = Pids(dir);
  const std::vector<std::string>& pids = only != nullptr ? *only : listed;
  char buf[4096];
  for (const std::string& pid : pids) {
    for (const char* file : {"/stat", "/status", "/cmdline"}) {
      std::string path = dir;
      path += '/';
      path += pid;
      path += file;
      const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
  }
}

double TimedScan(const std::string& dir, const std::vector<std::string>* only, int readers) {
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(readers));
  for (int i = 0; i < readers; ++i) threads.emplace_back([&] { Scan(dir, only); });
  for (auto& t : threads) t.join();
  return Since(start);
}

double TimedRun(const std::vector<std::string>& argv) {
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(126);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  waitpid(pid, nullptr, 0);
  return Since(start);
}

bool Mounted(const std::string& dir) {
  struct statfs fs {};
  return statfs(dir.c_str(), &fs) == 0 && fs.f_type == 0x65735546;  // FUSE_SUPER_MAGIC
}

// `workloads forkexec` under the sentry, with `readers` scanning its view.
// `scan` names the directory the readers scan ("" for the run's own view).
double ForkExecWithReaders(const std::string& sentry, const std::string& workloads,
                           const std::string& mount, int readers, const std::string& scan = "") {
  Child run = Start({sentry, "run", "--no-tty", "--mount", mount, "--", "sh", "-c",
                     "echo ready; read x; exec " + workloads + " forkexec 300"});
  AwaitLine(run);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(readers));
  for (int i = 0; i < readers; ++i) {
    threads.emplace_back([&] {
      while (!stop.load()) Scan(scan.empty() ? mount : scan, nullptr);
    });
  }
  const auto start = Clock::now();
  if (write(run.in, "\n", 1) != 1) std::abort();
  waitpid(run.pid, nullptr, 0);
  const double seconds = Since(start);
  stop.store(true);
  for (auto& t : threads) t.join();
  close(run.in);
  close(run.out);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "hold") == 0) return Hold(std::atoi(argv[2]));
  if (argc != 6) {
    std::fprintf(stderr, "usage: bench_fuse SENTRY FLOOR_FUSE WORKLOADS N ROUNDS\n");
    return 2;
  }
  const std::string sentry = argv[1];
  const std::string floor_fuse = argv[2];
  const std::string workloads = argv[3];
  const int n = std::atoi(argv[4]);
  const int rounds = std::atoi(argv[5]);
  char base_template[] = "/tmp/bench-fuse-XXXXXX";
  const char* made = mkdtemp(base_template);
  if (made == nullptr) {
    std::perror("bench_fuse: mkdtemp");
    return 1;
  }
  const std::string base = made;
  const std::string view = base + "/view";
  const std::string floor_dir = base + "/floor";
  const std::string fe = base + "/forkexec";
  mkdir(floor_dir.c_str(), 0755);

  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  self[len > 0 ? len : 0] = '\0';
  Child run =
      Start({sentry, "run", "--no-tty", "--mount", view, "--", self, "hold", std::to_string(n)});
  AwaitLine(run);
  Child floor = Start({floor_fuse, floor_dir, std::to_string(n)});
  AwaitLine(floor);
  std::vector<std::string> pids = Pids(view);
  std::erase(pids, std::to_string(run.pid));  // the sentry: not a sandbox process
  std::printf("fuse.processes: %zu\n", pids.size());

  std::vector<double> view_vs_host[2], view_vs_floor[2], floor_vs_host[2], ps_ratio;
  std::vector<double> view_sec[2];
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 2; ++k) {
      const int readers = k == 0 ? 1 : 4;
      const double v = TimedScan(view, &pids, readers);
      const double h = TimedScan("/proc", &pids, readers);
      const double f = TimedScan(floor_dir, nullptr, readers);
      view_vs_host[k].push_back(v / h);
      view_vs_floor[k].push_back(v / f);
      floor_vs_host[k].push_back(f / h);
      view_sec[k].push_back(v);
    }
    const double pv = TimedRun({sentry, "view", "--mount", view, "--", "ps", "-e"});
    const double ph = TimedRun({"ps", "-e"});
    ps_ratio.push_back(pv / ph);
  }
  for (int k = 0; k < 2; ++k) {
    const char* tag = k == 0 ? "1reader" : "4readers";
    std::printf("fuse.scan_sec_view_%s: %.4f\n", tag, Median(view_sec[k]));
    std::printf("fuse.scan_ratio_vs_host_proc_%s: %.2f\n", tag, Median(view_vs_host[k]));
    std::printf("fuse.scan_ratio_vs_floor_%s: %.2f\n", tag, Median(view_vs_floor[k]));
    std::printf("fuse.floor_ratio_vs_host_proc_%s: %.2f\n", tag, Median(floor_vs_host[k]));
  }
  std::printf("fuse.ps_ratio_vs_host: %.2f\n", Median(ps_ratio));
  Stop(run);

  // The same 4 readers scanning the floor server instead: what 4 busy
  // readers cost the workload on this machine whatever they read.
  std::vector<double> fe_ratio;
  std::vector<double> fe_floor_ratio;
  for (int r = 0; r < rounds; ++r) {
    const double with = ForkExecWithReaders(sentry, workloads, fe, 4);
    const double floor_readers = ForkExecWithReaders(sentry, workloads, fe, 4, floor_dir);
    const double without = ForkExecWithReaders(sentry, workloads, fe, 0);
    fe_ratio.push_back(with / without);
    fe_floor_ratio.push_back(floor_readers / without);
  }
  std::printf("fuse.forkexec_ratio_with_readers: %.3f\n", Median(fe_ratio));
  std::printf("fuse.forkexec_ratio_with_floor_readers: %.3f\n", Median(fe_floor_ratio));
  Stop(floor);
  rmdir(floor_dir.c_str());
  rmdir(base.c_str());
  return Mounted(view) ? 1 : 0;
}
