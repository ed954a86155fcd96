// floor_fuse: the floor for the view's benchmark. A FUSE server with the
// view's shape (N pid directories of stat, status and cmdline, of the sizes
// procfs gives them) and the view's settings (direct_io, 1 s entry and
// attribute timeouts, the same loop), whose files are constant: nothing is
// looked up or rendered. What it costs is what FUSE's round trips cost.
//
//   floor_fuse DIR N    mounts at DIR, prints "ready", serves until stdin closes
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_count = 0;
constexpr const char* kFiles[3] = {"stat", "status", "cmdline"};
// Sizes like a shell's: stat ~300 bytes, status ~1,400, cmdline ~11.
constexpr std::size_t kSizes[3] = {300, 1400, 11};
char g_content[1400] = {};  // filled with 'x' at start: constant content
constexpr fuse_ino_t kFirstPid = 1000;

// ino: 1 the root; 16*(i+1) pid dir i; +1..+3 its files.
fuse_ino_t DirIno(int i) {
  return 16 * static_cast<fuse_ino_t>(i + 1);
}

bool Attr(fuse_ino_t ino, struct stat* st) {
  *st = {};
  st->st_ino = ino;
  if (ino == 1) {
    st->st_mode = S_IFDIR | 0555;
    return true;
  }
  const fuse_ino_t dir = ino / 16;
  if (dir < 1 || dir > static_cast<fuse_ino_t>(g_count) || ino % 16 > 3) return false;
  st->st_mode = ino % 16 == 0 ? (S_IFDIR | 0555) : (S_IFREG | 0444);
  return true;
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e{};
  if (parent == 1) {
    const long pid = std::strtol(name, nullptr, 10);
    if (pid < static_cast<long>(kFirstPid) || pid >= static_cast<long>(kFirstPid) + g_count) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    e.ino = DirIno(static_cast<int>(pid - static_cast<long>(kFirstPid)));
  } else {
    for (int f = 0; f < 3; ++f) {
      if (std::strcmp(kFiles[f], name) == 0) e.ino = parent + static_cast<fuse_ino_t>(f) + 1;
    }
  }
  if (e.ino == 0 || !Attr(e.ino, &e.attr)) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  e.attr_timeout = e.entry_timeout = 1.0;
  fuse_reply_entry(req, &e);
}

void Getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st {};
  if (!Attr(ino, &st)) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_reply_attr(req, &st, 1.0);
}

void Open(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fi->direct_io = 1;
  fi->noflush = 1;
  fuse_reply_open(req, fi);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  const size_t length = kSizes[(ino % 16) - 1];
  const auto start = std::min(static_cast<size_t>(off), length);
  fuse_reply_buf(req, g_content + start, std::min(size, length - start));
}

void Readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  std::vector<std::pair<std::string, fuse_ino_t>> entries;
  if (ino == 1) {
    for (int i = 0; i < g_count; ++i) {
      entries.emplace_back(std::to_string(kFirstPid + static_cast<fuse_ino_t>(i)), DirIno(i));
    }
  } else {
    for (int f = 0; f < 3; ++f)
      entries.emplace_back(kFiles[f], ino + static_cast<fuse_ino_t>(f) + 1);
  }
  std::string buf(size, '\0');
  size_t used = 0;
  for (auto i = static_cast<size_t>(off); i < entries.size(); ++i) {
    struct stat st {};
    st.st_ino = entries[i].second;
    st.st_mode = ino == 1 ? S_IFDIR : S_IFREG;
    const size_t need = fuse_add_direntry(req, buf.data() + used, size - used,
                                          entries[i].first.c_str(), &st, static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: floor_fuse DIR N\n");
    return 2;
  }
  g_count = std::atoi(argv[2]);
  std::memset(g_content, 'x', sizeof g_content);
  fuse_lowlevel_ops ops{};
  ops.lookup = Lookup;
  ops.getattr = Getattr;
  ops.open = Open;
  ops.read = Read;
  ops.opendir = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) { fuse_reply_open(req, fi); };
  ops.readdir = Readdir;
  char prog[] = "floor_fuse", o[] = "-o", opts[] = "default_permissions,fsname=floor";
  char* args_v[] = {prog, o, opts};
  fuse_args args = FUSE_ARGS_INIT(3, args_v);
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, nullptr);
  if (se == nullptr || fuse_session_mount(se, argv[1]) != 0) return 1;
  std::thread loop([se] {
    fuse_loop_config* config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(config, 4);
    fuse_loop_cfg_set_idle_threads(config, 2);
    fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
  });
  std::printf("ready\n");
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  umount2(argv[1], MNT_DETACH);
  loop.join();
  fuse_session_unmount(se);
  fuse_session_destroy(se);
  return 0;
}
