// Process-wide shutdown request (set from the CLI's SIGINT handler).
#include <atomic>

#include "autoglm/executor.h"

namespace autoglm {
namespace {
std::atomic<bool> g_shutdown{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_shutdown must be async-signal-safe");
}  // namespace

void request_shutdown() noexcept { g_shutdown.store(true, std::memory_order_relaxed); }
bool shutdown_requested() noexcept { return g_shutdown.load(std::memory_order_relaxed); }
void reset_shutdown() noexcept { g_shutdown.store(false, std::memory_order_relaxed); }

}  // namespace autoglm
