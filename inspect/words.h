// Numbers in words, as the event log's tables and `inspect` show them:
// wait options ("WEXITED|WNOHANG") and what a wait returned ("exited 3",
// "killed by SIGKILL (core dumped)", "stopped by SIGTSTP", "ECHILD").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sentry/kernel/abi.h"
#include "sentry/kernel/exit_status.h"

namespace sentry::inspect {

// Every wait option bit and its name, in Linux's order.
inline constexpr std::array<std::pair<std::uint32_t, std::string_view>, 8> kWaitOptions = {{
    {kernel::abi::kWNOHANG, "WNOHANG"},
    {kernel::abi::kWSTOPPED, "WSTOPPED"},
    {kernel::abi::kWEXITED, "WEXITED"},
    {kernel::abi::kWCONTINUED, "WCONTINUED"},
    {kernel::abi::kWNOWAIT, "WNOWAIT"},
    {kernel::abi::kWNOTHREAD, "__WNOTHREAD"},
    {kernel::abi::kWALL, "__WALL"},
    {kernel::abi::kWCLONE, "__WCLONE"},
}};

// "WNOHANG|WEXITED"; "0" for none.
std::string WaitOptionsInWords(std::uint32_t options);

// The errno's symbolic name ("ECHILD"), or "errno N".
std::string ErrnoInWords(int err);

// How a task ended: "exited 3", "killed by SIGKILL (core dumped)".
std::string ExitStatusInWords(const kernel::ExitStatus& status);

// What a wait returned: result (pid, 0 or -errno), and for a pid the CLD_*
// code and the status (exit code or signal, as waitid's si_status).
std::string WaitResultInWords(std::int64_t result, int cld_code, int status);

}  // namespace sentry::inspect
