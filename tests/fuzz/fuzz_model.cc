// The model fed arbitrary observation sequences: the fuzzer's bytes are
// JSON lines (seeded with real runs' logs); each line that decodes is
// applied, and the model's invariants (model_invariants.h) must hold after
// every one. The model only ever records divergences: it never crashes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sentry/kernel/json_codec.h"
#include "sentry/kernel/kernel.h"
#include "tests/fuzz/input_lines.h"
#include "tests/fuzz/model_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sentry::kernel::Kernel model;
  sentry::fuzz::ForEachLine(data, size, [&](std::string_view line) {
    if (sentry::kernel::IsRecordLine(line)) return;
    const auto decoded = sentry::kernel::DecodeObservation(line);
    if (!decoded) return;
    model.Apply(decoded->observation);
    if (const std::string broken = sentry::fuzz::BrokenInvariant(model); !broken.empty()) {
      std::fprintf(stderr, "after %.*s\ninvariant broken: %s\n", static_cast<int>(line.size()),
                   line.data(), broken.c_str());
      std::abort();
    }
  });
  return 0;
}
