// GpuPool / GpuLease: disjoint GPU sets for concurrently running trials.
#include <algorithm>
#include <cassert>
#include <chrono>
#include <set>

#include "autoglm/error.h"
#include "autoglm/executor.h"

namespace autoglm {

GpuPool::GpuPool(std::vector<int> gpu_ids, int per_trial) : ids_(std::move(gpu_ids)), per_trial_(per_trial) {
  if (per_trial_ < 1)
    throw ConfigError("gpus_per_trial must be >= 1, got " + std::to_string(per_trial_));
  std::set<int> seen;
  for (int id : ids_) {
    if (id < 0) throw ConfigError("gpus: GPU ids must be >= 0, got " + std::to_string(id));
    if (!seen.insert(id).second)
      throw ConfigError("gpus: GPU id " + std::to_string(id) + " is listed twice; list each GPU once");
  }
  if (static_cast<size_t>(per_trial_) > ids_.size())
    throw ConfigError("gpus_per_trial is " + std::to_string(per_trial_) + " but only " + std::to_string(ids_.size()) +
                      " GPU id(s) are listed in gpus; lower gpus_per_trial or list more GPUs");
  busy_.assign(ids_.size(), false);
}

std::vector<int> GpuPool::acquire() {
  std::unique_lock lock(mutex_);
  while (true) {
    std::vector<size_t> free;
    for (size_t i = 0; i < ids_.size() && free.size() < static_cast<size_t>(per_trial_); ++i)
      if (!busy_[i]) free.push_back(i);
    if (free.size() == static_cast<size_t>(per_trial_)) {
      std::vector<int> out;
      for (size_t i : free) {
        busy_[i] = true;
        out.push_back(ids_[i]);
      }
      return out;
    }
    if (shutdown_requested()) throw Error("interrupted while waiting for a free GPU (the engine is shutting down)");
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

void GpuPool::release(const std::vector<int>& ids) {
  {
    std::lock_guard lock(mutex_);
    for (int id : ids) {
      auto it = std::find(ids_.begin(), ids_.end(), id);
      assert(it != ids_.end() && "GpuPool::release: id not in this pool");
      if (it == ids_.end()) continue;
      size_t i = static_cast<size_t>(it - ids_.begin());
      assert(busy_[i] && "GpuPool::release: id is not held");
      busy_[i] = false;
    }
  }
  cv_.notify_all();
}

int GpuPool::n_free() {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count(busy_.begin(), busy_.end(), false));
}

std::string GpuLease::visible_devices() const {
  std::string s;
  for (int id : ids_) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

}  // namespace autoglm
