// The JSON-lines decoder on arbitrary bytes: each line decodes or is an
// error, and what decodes encodes to a line that decodes to the same again
// (the stable encoding json_codec.h promises).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sentry/kernel/json_codec.h"
#include "tests/fuzz/input_lines.h"

namespace {

void RoundTrips(std::string_view line) {
  using namespace sentry::kernel;
  if (IsRecordLine(line)) {
    const auto record = DecodeRecord(line);
    if (!record) return;
    const std::string once = EncodeRecord(*record);
    const auto again = DecodeRecord(once);
    if (!again || EncodeRecord(*again) != once) {
      std::fprintf(stderr, "record does not round-trip: %s\n", once.c_str());
      std::abort();
    }
    return;
  }
  const auto decoded = DecodeObservation(line);
  if (!decoded) return;
  const std::string once = EncodeObservation(decoded->observation, decoded->seq);
  const auto again = DecodeObservation(once);
  if (!again || EncodeObservation(again->observation, again->seq) != once) {
    std::fprintf(stderr, "observation does not round-trip: %s\n", once.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sentry::fuzz::ForEachLine(data, size, RoundTrips);
  return 0;
}
