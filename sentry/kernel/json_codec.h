// The stable line encoding of observations and records: one JSON object per
// line, keys sorted, ids as plain numbers. `--log-records` writes it and
// replay reads it back; a round trip gives back the same values.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "sentry/kernel/observation.h"
#include "sentry/kernel/record.h"

namespace sentry::kernel {

// "clone", "exit_end", … (the "kind" key of an encoded observation).
std::string_view ObservationKindName(const Observation& obs);

// {"kind":"clone","seq":12,"t":…,…}. seq is the observation's 1-based position.
std::string EncodeObservation(const Observation& obs, std::uint64_t seq);
struct DecodedObservation {
  std::uint64_t seq = 0;
  Observation observation;
};
std::expected<DecodedObservation, std::string> DecodeObservation(std::string_view line);

// {"kind":"reaped","record":true,"seq":12,…}
std::string EncodeRecord(const Record& record);
std::expected<Record, std::string> DecodeRecord(std::string_view line);

// Whether an encoded line is a record (has "record":true) or an observation.
bool IsRecordLine(std::string_view line);

}  // namespace sentry::kernel
